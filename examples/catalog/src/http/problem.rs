//! RFC 9457 problem details: the body of every error response.

use std::any::Any;

use axum::BoxError;
use axum::body::{Body, Bytes, HttpBody};
use axum::http::header::{CONTENT_LENGTH, CONTENT_TYPE};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

use crate::domain::validation::FieldError;

pub const PROBLEM_JSON: &str = "application/problem+json";

/// An `application/problem+json` body. `type` is always `about:blank`, so
/// `title` is the HTTP reason phrase; clients dispatch on `status` and `code`.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Problem {
    #[serde(rename = "type")]
    #[schema(example = "about:blank")]
    pub problem_type: &'static str,
    #[schema(example = "Not Found")]
    pub title: &'static str,
    #[schema(example = 404)]
    pub status: u16,
    #[schema(example = "item not found")]
    pub detail: String,
    /// Stable, machine-readable error code, e.g. `not_found`, `validation_failed`, `version_conflict`.
    #[schema(example = "not_found")]
    pub code: String,
    /// Per-field failures; present on `validation_failed` only.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
}

impl Problem {
    pub fn new(status: StatusCode, code: &str, detail: impl Into<String>) -> Self {
        Self {
            problem_type: "about:blank",
            title: status.canonical_reason().unwrap_or("Error"),
            status: status.as_u16(),
            detail: detail.into(),
            code: code.to_owned(),
            errors: Vec::new(),
        }
    }

    pub fn with_errors(mut self, errors: Vec<FieldError>) -> Self {
        self.errors = errors;
        self
    }

    /// The masked answer to every unexpected failure; the cause goes to the log only.
    pub fn internal() -> Self {
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal_error",
            "an unexpected error occurred; it has been logged",
        )
    }

    /// A problem for an error response produced outside the handlers
    /// (the router, timeouts, body limits), derived from the status alone.
    pub fn for_status(status: StatusCode) -> Self {
        let (code, detail) = match status {
            StatusCode::NOT_FOUND => ("not_found", "no route matches this path"),
            StatusCode::METHOD_NOT_ALLOWED => (
                "method_not_allowed",
                "this route does not support the request method; see the Allow header",
            ),
            StatusCode::REQUEST_TIMEOUT => (
                "request_timeout",
                "the request was not handled within the time limit",
            ),
            StatusCode::PAYLOAD_TOO_LARGE => (
                "payload_too_large",
                "the request body exceeds the size limit",
            ),
            StatusCode::UNSUPPORTED_MEDIA_TYPE => (
                "unsupported_media_type",
                "the request body has an unsupported content type",
            ),
            status if status.is_server_error() => return Self::internal(),
            _ => (
                "http_error",
                status.canonical_reason().unwrap_or("request failed"),
            ),
        };
        Self::new(status, code, detail)
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        match serde_json::to_vec(&self) {
            Ok(body) => (
                status,
                [(CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON))],
                body,
            )
                .into_response(),
            // Serializing strings and integers cannot fail; answer plainly if it ever does.
            Err(_) => status.into_response(),
        }
    }
}

fn is_problem(headers: &HeaderMap) -> bool {
    headers
        .get(CONTENT_TYPE)
        .is_some_and(|value| value.as_bytes().starts_with(PROBLEM_JSON.as_bytes()))
}

/// Middleware (a plain function for tower's `map_response`, which neither boxes
/// the future nor clones the inner service as axum's async `map_response` does):
/// gives every error response that is not a problem yet (axum's 405, the
/// timeout's 408, the body limit's 413, ...) a problem body, keeping its status
/// and headers (`Allow`, ...).
pub fn ensure_problem_body<B>(response: axum::http::Response<B>) -> Response
where
    B: HttpBody<Data = Bytes> + Send + 'static,
    B::Error: Into<BoxError>,
{
    let status = response.status();
    if !(status.is_client_error() || status.is_server_error()) || is_problem(response.headers()) {
        return response.map(Body::new);
    }
    let (mut parts, _) = response.into_parts();
    let Ok(body) = serde_json::to_vec(&Problem::for_status(status)) else {
        return Response::from_parts(parts, Body::empty());
    };
    parts
        .headers
        .insert(CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON));
    parts.headers.remove(CONTENT_LENGTH);
    Response::from_parts(parts, Body::from(body))
}

/// For `CatchPanicLayer`: logs the panic inside the request's span and answers 500.
pub fn from_panic(panic: Box<dyn Any + Send + 'static>) -> Response {
    let message = panic
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "non-string panic payload".to_owned());
    tracing::error!(panic = %message, "request handler panicked");
    Problem::internal().into_response()
}
