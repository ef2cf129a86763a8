//! The HTTP interface: routes, error mapping and middleware.
//!
//! Conventions (problem+json errors, pagination, versioning) are described in
//! `docs/http-conventions.md`.

pub mod error;
pub mod extract;
pub mod health;
pub mod metrics;
pub mod middleware;
pub mod openapi;
pub mod pagination;
pub mod problem;

// One module per resource.
pub mod products;

use axum::Router;
use axum::body::Bytes;
use axum::http::header::CONTENT_TYPE;
use axum::routing::get;
use sqlx::PgPool;
use utoipa_axum::router::OpenApiRouter;

use crate::lifecycle::Readiness;
use problem::Problem;

/// Shared by all handlers.
#[derive(Debug, Clone)]
pub struct AppState {
    pub db: PgPool,
    pub readiness: Readiness,
    /// The message broker, when events are on: `/readyz` reports it.
    pub broker: Option<crate::events::nats::Broker>,
    // svcgen:anchor state-fields
}

impl AppState {
    pub fn new(db: PgPool) -> Self {
        Self {
            db,
            readiness: Readiness::default(),
            broker: None,
            // svcgen:anchor state-init
        }
    }

    pub fn with_broker(self, broker: crate::events::nats::Broker) -> Self {
        Self {
            broker: Some(broker),
            ..self
        }
    }
    // svcgen:anchor state-methods
}

/// The API's routes and the OpenAPI document their annotations describe.
fn api() -> (Router<AppState>, utoipa::openapi::OpenApi) {
    let (router, openapi) = OpenApiRouter::with_openapi(openapi::document())
        .merge(health::router())
        .merge(products::router())
        .split_for_parts();
    (router, openapi::document_shared_errors(openapi))
}

/// The OpenAPI document `/openapi.json` serves, as JSON text: the service's
/// contract, committed as `api/openapi.json` (`make api` writes it, a test
/// checks it is current).
pub fn openapi_json() -> String {
    openapi::to_json(&api().1)
}

/// All routes, without middleware: the API (documented in the OpenAPI
/// document), the document itself, `/metrics`, and a problem+json 404 fallback.
pub fn router(state: AppState) -> Router {
    // Installed before the first request, so that request is counted.
    let prometheus = metrics::handle();
    let (router, openapi) = api();
    // Serialized once: the document does not change while the process runs.
    let openapi = Bytes::from(openapi::to_json(&openapi));
    router
        .route(
            "/openapi.json",
            get(move || {
                let openapi = openapi.clone();
                async move { ([(CONTENT_TYPE, "application/json")], openapi) }
            }),
        )
        .route("/metrics", get(move || metrics::render(prometheus.clone())))
        .fallback(|| async { Problem::for_status(axum::http::StatusCode::NOT_FOUND) })
        .with_state(state)
}

#[cfg(test)]
mod tests {
    /// Other services, and CI's contract check, read `api/openapi.json`: it must
    /// be what this code serves.
    #[test]
    fn committed_openapi_document_is_current() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/api/openapi.json");
        let committed = std::fs::read_to_string(path).unwrap_or_default();
        let generated = super::openapi_json();
        if committed != generated {
            let line = committed
                .lines()
                .zip(generated.lines())
                .position(|(a, b)| a != b)
                .unwrap_or_else(|| committed.lines().count().min(generated.lines().count()));
            panic!(
                "api/openapi.json differs from the OpenAPI document the code generates \
                 (first at line {}): run `make api` and commit the result",
                line + 1
            );
        }
    }
}
