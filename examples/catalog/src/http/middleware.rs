//! The operational middleware every route gets, outermost first.

use std::time::Duration;

use axum::Router;
use axum::extract::{DefaultBodyLimit, MatchedPath, Request};
use axum::http::{HeaderValue, Method, Response, StatusCode};
use tower::ServiceBuilder;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::request_id::{
    MakeRequestId, PropagateRequestIdLayer, RequestId, SetRequestIdLayer,
};
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::{DefaultOnResponse, OnResponse, TraceLayer};
use tracing::{Level, Span};
use uuid::Uuid;

use super::{metrics, problem};
use crate::config::HttpConfig;

pub const REQUEST_ID_HEADER: &str = "x-request-id";

/// The longest caller-chosen request id kept; longer ones are replaced.
pub const REQUEST_ID_MAX_LEN: usize = 128;

/// Routes polled by orchestrators and scrapers every few seconds: a `GET` of
/// one gets no span and no log line, which would drown the log and cost more
/// than the answer. They are still counted in the metrics.
const PROBE_ROUTES: &[&str] = &["/livez", "/readyz", "/metrics"];

/// Wraps `router` in the stack below. Layers run top to bottom on the way in.
///
/// 1. request id: keep the caller's `x-request-id` when it is safe to log
///    (see [`is_safe_request_id`]), else generate a UUID;
/// 2. trace: one span per request carrying that id, so every log line has it
///    (probe routes excepted, see [`PROBE_ROUTES`]);
/// 3. echo the request id on the response;
/// 4. metrics: observe the final status, whatever produced it;
/// 5. give error responses without a body (405, 408, 413, ...) a problem body;
/// 6. turn a panic into a 500 problem;
/// 7. time out slow requests with 408;
/// 8. cap the request body size: a `Content-Length` over the limit is answered
///    413 at once, without waiting for the body; a longer streamed body fails
///    the body extractors with 413 when it crosses the limit.
pub fn apply(router: Router, config: &HttpConfig) -> Router {
    router.layer(
        ServiceBuilder::new()
            .map_request(drop_unsafe_request_id)
            .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
            .layer(
                TraceLayer::new_for_http()
                    .make_span_with(request_span)
                    .on_response(LogResponse(DefaultOnResponse::new().level(Level::INFO))),
            )
            .layer(PropagateRequestIdLayer::x_request_id())
            .layer(axum::middleware::from_fn(
                crate::clients::http::capture_request_id,
            ))
            // svcgen:anchor layers
            .layer(metrics::TrackLayer)
            .map_response(problem::ensure_problem_body)
            .layer(CatchPanicLayer::custom(problem::from_panic))
            .layer(TimeoutLayer::with_status_code(
                StatusCode::REQUEST_TIMEOUT,
                config.request_timeout,
            ))
            .layer(RequestBodyLimitLayer::new(config.body_limit_bytes))
            .layer(DefaultBodyLimit::max(config.body_limit_bytes)),
    )
}

/// A caller's request id is copied into every log line of the request, so only
/// a short one of characters that need no escaping is kept: 1 to
/// [`REQUEST_ID_MAX_LEN`] of ASCII letters, digits and `-_.:+/=@`.
pub fn is_safe_request_id(id: &[u8]) -> bool {
    (1..=REQUEST_ID_MAX_LEN).contains(&id.len())
        && id
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.:+/=@".contains(b))
}

/// Removes an unsafe (or repeated) `x-request-id`, so `SetRequestIdLayer` generates one.
fn drop_unsafe_request_id<B>(mut request: Request<B>) -> Request<B> {
    let mut ids = request.headers().get_all(REQUEST_ID_HEADER).iter();
    let keep = match (ids.next(), ids.next()) {
        (Some(id), None) => is_safe_request_id(id.as_bytes()),
        (None, _) => true,
        (Some(_), Some(_)) => false,
    };
    if !keep {
        request.headers_mut().remove(REQUEST_ID_HEADER);
    }
    request
}

fn request_span(request: &Request) -> Span {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map(MatchedPath::as_str)
        .unwrap_or_default();
    if request.method() == Method::GET && PROBE_ROUTES.contains(&route) {
        return Span::none();
    }
    let request_id = request
        .headers()
        .get(REQUEST_ID_HEADER)
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default();
    tracing::info_span!(
        "request",
        request_id,
        method = %request.method(),
        path = request.uri().path(),
        route,
    )
}

/// Logs the response like `inner`, except for requests without a span (the probes).
#[derive(Debug, Clone)]
struct LogResponse(DefaultOnResponse);

impl<B> OnResponse<B> for LogResponse {
    fn on_response(self, response: &Response<B>, latency: Duration, span: &Span) {
        if !span.is_none() {
            self.0.on_response(response, latency, span);
        }
    }
}

/// A random (v4) UUID, formatted into a stack buffer and copied once into the
/// header value, where tower-http's `MakeRequestUuid` goes through a `String`.
#[derive(Debug, Clone, Copy)]
struct MakeRequestUuid;

impl MakeRequestId for MakeRequestUuid {
    fn make_request_id<B>(&mut self, _request: &Request<B>) -> Option<RequestId> {
        let mut buffer = Uuid::encode_buffer();
        let id = Uuid::new_v4().hyphenated().encode_lower(&mut buffer);
        HeaderValue::from_str(id).ok().map(RequestId::new)
    }
}
