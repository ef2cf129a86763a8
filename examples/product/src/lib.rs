//! Owns products: the source of truth for name, price, stock and category: the library behind the `product` binary, so the tests
//! can build the same application the binary serves.

pub mod config;
pub mod db;
pub mod domain;
pub mod healthcheck;
pub mod http;
pub mod lifecycle;
// `product seed`: sample products.
pub mod seed;
pub mod server;
pub mod telemetry;
// Events: outbox, relay and consumers (docs/events.md).
pub mod events;
// svcgen:anchor modules

use axum::Router;

use crate::config::HttpConfig;
pub use crate::http::AppState;

/// The complete application: every route behind the operational middleware
/// (request ids, tracing, metrics, problem+json errors, panics, timeouts, body limit).
pub fn build_app(state: AppState, config: &HttpConfig) -> Router {
    http::middleware::apply(http::router(state), config)
}
