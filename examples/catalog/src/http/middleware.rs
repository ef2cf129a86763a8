//! The operational middleware every route gets, outermost first.

use axum::Router;
use axum::extract::{DefaultBodyLimit, MatchedPath, Request};
use axum::http::StatusCode;
use tower::ServiceBuilder;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::{DefaultOnResponse, TraceLayer};
use tracing::Level;

use super::{metrics, problem};
use crate::config::HttpConfig;

pub const REQUEST_ID_HEADER: &str = "x-request-id";

/// Wraps `router` in the stack below. Layers run top to bottom on the way in.
///
/// 1. request id: keep the caller's `x-request-id` or generate a UUID;
/// 2. trace: one span per request carrying that id, so every log line has it;
/// 3. echo the request id on the response;
/// 4. metrics: observe the final status, whatever produced it;
/// 5. give error responses without a body (405, 408, 413, ...) a problem body;
/// 6. turn a panic into a 500 problem;
/// 7. time out slow requests with 408;
/// 8. cap the request body size for the body extractors (413).
pub fn apply(router: Router, config: &HttpConfig) -> Router {
    router.layer(
        ServiceBuilder::new()
            .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
            .layer(
                TraceLayer::new_for_http()
                    .make_span_with(|request: &Request| {
                        let request_id = request
                            .headers()
                            .get(REQUEST_ID_HEADER)
                            .and_then(|value| value.to_str().ok())
                            .unwrap_or_default();
                        let route = request
                            .extensions()
                            .get::<MatchedPath>()
                            .map(MatchedPath::as_str)
                            .unwrap_or_default();
                        tracing::info_span!(
                            "request",
                            request_id,
                            method = %request.method(),
                            path = request.uri().path(),
                            route,
                        )
                    })
                    .on_response(DefaultOnResponse::new().level(Level::INFO)),
            )
            .layer(PropagateRequestIdLayer::x_request_id())
            // svcgen:anchor layers
            .layer(axum::middleware::from_fn(metrics::track))
            .layer(axum::middleware::map_response(problem::ensure_problem_body))
            .layer(CatchPanicLayer::custom(problem::from_panic))
            .layer(TimeoutLayer::with_status_code(
                StatusCode::REQUEST_TIMEOUT,
                config.request_timeout,
            ))
            .layer(DefaultBodyLimit::max(config.body_limit_bytes)),
    )
}
