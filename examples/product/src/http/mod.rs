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

/// All routes, without middleware: the API (documented in the OpenAPI
/// document), the document itself, `/metrics`, and a problem+json 404 fallback.
pub fn router(state: AppState) -> Router {
    // Installed before the first request, so that request is counted.
    let prometheus = metrics::handle();
    let (router, openapi) = OpenApiRouter::with_openapi(openapi::document())
        .merge(health::router())
        .merge(products::router())
        .split_for_parts();
    let openapi = openapi::document_shared_errors(openapi);

    // Serialized once: the document does not change while the process runs.
    let openapi = Bytes::from(
        serde_json::to_vec(&openapi).expect("the OpenAPI document has only string keys"),
    );
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
