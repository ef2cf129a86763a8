//! Liveness and readiness probes.

use std::time::Duration;

use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::AppState;
use super::error::ApiError;
use super::extract::Json;
use crate::db;
use axum::extract::State;

/// A database that takes longer than this to answer `select 1` counts as down.
const DATABASE_CHECK_TIMEOUT: Duration = Duration::from_secs(2);

#[derive(Debug, Serialize, ToSchema)]
pub struct HealthStatus {
    #[schema(example = "ok")]
    pub status: &'static str,
}

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(livez))
        .routes(routes!(readyz))
}

/// The process is up and serving HTTP. Checks no dependency, so a database
/// outage never gets the service restarted.
#[utoipa::path(
    get,
    path = "/livez",
    tag = "operations",
    responses((status = 200, description = "The process is alive", body = HealthStatus))
)]
pub async fn livez() -> Json<HealthStatus> {
    Json(HealthStatus { status: "ok" })
}

/// The service can take traffic: its dependencies answer and shutdown has not begun.
#[utoipa::path(
    get,
    path = "/readyz",
    tag = "operations",
    responses(
        (status = 200, description = "Ready for traffic", body = HealthStatus),
        (status = 503, description = "Draining for shutdown, or a dependency (such as the database) is unreachable",
            body = super::problem::Problem, content_type = "application/problem+json"),
    )
)]
pub async fn readyz(State(state): State<AppState>) -> Result<Json<HealthStatus>, ApiError> {
    if state.readiness.is_draining() {
        return Err(ApiError::Unavailable("shutting down"));
    }
    if let Some(broker) = &state.broker
        && !broker.is_connected()
    {
        tracing::warn!("readiness: message broker unreachable");
        return Err(ApiError::Unavailable("message broker unreachable"));
    }
    // svcgen:anchor readiness-checks
    match tokio::time::timeout(DATABASE_CHECK_TIMEOUT, db::ping(&state.db)).await {
        Ok(Ok(())) => Ok(Json(HealthStatus { status: "ok" })),
        Ok(Err(err)) => {
            tracing::warn!(error = %err, "readiness: database unreachable");
            Err(ApiError::Unavailable("database unreachable"))
        }
        Err(_) => {
            tracing::warn!("readiness: database check timed out");
            Err(ApiError::Unavailable("database unreachable"))
        }
    }
}
