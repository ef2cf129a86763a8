//! Business rules, independent of HTTP and SQL.

pub mod validation;

// One module per resource.
pub mod product;
