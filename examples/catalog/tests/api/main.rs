//! Black-box tests: the real application against a real PostgreSQL, one fresh
//! database per test. Set DATABASE_URL to point them at another server.

mod connections;
mod errors;
mod helpers;
mod operations;

// One module per resource.
mod categories;
mod products;
// Products delivered as ProductChanged events, for the listing tests.
mod seed;
// Filling the product copy from product's API.
mod backfill;
