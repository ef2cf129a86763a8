//! Business rules, independent of HTTP and SQL.

pub mod validation;
