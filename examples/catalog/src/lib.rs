//! The catalog read API: a denormalised copy of products, searchable by name and category: the library behind the `catalog` binary, so the tests
//! can build the same application the binary serves.

pub mod config;
pub mod db;
pub mod domain;
pub mod healthcheck;
pub mod http;
pub mod lifecycle;
pub mod server;
pub mod telemetry;
// Events: outbox, relay and consumers (docs/events.md).
pub mod events;
// Clients of other services (docs/clients.md).
pub mod clients;
// Fills the product copy from product's API on a new database (docs/backfill.md).
pub mod backfill;
// svcgen:anchor modules

use axum::Router;

use crate::config::HttpConfig;
pub use crate::http::AppState;

/// The complete application: every route behind the operational middleware
/// (request ids, tracing, metrics, problem+json errors, panics, timeouts, body limit).
pub fn build_app(state: AppState, config: &HttpConfig) -> Router {
    http::middleware::apply(http::router(state), config)
}
