//! Axum's extractors with their rejections folded into [`ApiError`], so a bad
//! body, path or query answers with the same problem+json as everything else.
//! They also refuse text holding a NUL character (U+0000), which PostgreSQL
//! cannot store, with a 422 naming the field: every endpoint gets that check.

use axum::body::Bytes;
use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::header::CONTENT_TYPE;
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::error::ApiError;
use crate::domain::validation;

/// JSON request body (requires `Content-Type: application/json`) or response body.
#[derive(Debug, Clone, Copy, Default)]
pub struct Json<T>(pub T);

impl<T, S> FromRequest<S> for Json<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        // axum's `Json` does these steps too; they are spelled out to see the raw body.
        if !is_json(req.headers()) {
            return Err(ApiError::Unreadable {
                status: StatusCode::UNSUPPORTED_MEDIA_TYPE,
                code: "unsupported_media_type",
                detail: "Expected request with `Content-Type: application/json`".to_owned(),
            });
        }
        let bytes = Bytes::from_request(req, state)
            .await
            .map_err(JsonRejection::from)?;
        reject_nul_in_body(&bytes)?;
        let axum::Json(value) = axum::Json::<T>::from_bytes(&bytes)?;
        Ok(Self(value))
    }
}

/// `application/json`, or any `application/*+json`, parameters allowed (as axum's `Json`).
fn is_json(headers: &HeaderMap) -> bool {
    let Some(content_type) = headers.get(CONTENT_TYPE).and_then(|v| v.to_str().ok()) else {
        return false;
    };
    let essence = content_type.split(';').next().unwrap_or_default().trim();
    let Some((kind, subtype)) = essence.split_once('/') else {
        return false;
    };
    kind.eq_ignore_ascii_case("application")
        && (subtype.eq_ignore_ascii_case("json")
            || subtype.len() > 5 && subtype[subtype.len() - 5..].eq_ignore_ascii_case("+json"))
}

/// JSON can carry a NUL only as the escape `\u0000`: bodies without one are not parsed twice.
fn reject_nul_in_body(bytes: &[u8]) -> Result<(), ApiError> {
    if !bytes.windows(6).any(|w| w.eq_ignore_ascii_case(b"\\u0000")) {
        return Ok(());
    }
    // Malformed JSON is left to the typed parse below, which reports it.
    let Ok(value) = serde_json::from_slice::<serde_json::Value>(bytes) else {
        return Ok(());
    };
    let fields = validation::fields_with_nul(&value);
    if fields.is_empty() {
        return Ok(());
    }
    Err(validation::nul_errors(fields).into())
}

/// A query string (or path) can carry a NUL only as `%00`; names the parameters that do.
fn reject_nul_in_query(uri: &Uri) -> Result<(), ApiError> {
    let Some(query) = uri.query() else {
        return Ok(());
    };
    if !contains_escaped_nul(query) {
        return Ok(());
    }
    match axum::extract::Query::<Vec<(String, String)>>::try_from_uri(uri) {
        Ok(axum::extract::Query(pairs)) => reject_nul_in(pairs),
        // A malformed query is left to the typed parse, which reports it.
        Err(_) => Ok(()),
    }
}

fn contains_escaped_nul(text: &str) -> bool {
    text.as_bytes().windows(3).any(|w| w == b"%00")
}

/// Names the parameters, decoded, whose name or value holds a NUL.
fn reject_nul_in(pairs: Vec<(String, String)>) -> Result<(), ApiError> {
    let fields: Vec<String> = pairs
        .into_iter()
        .filter(|(key, value)| key.contains('\0') || value.contains('\0'))
        .map(|(key, _)| key)
        .collect();
    if fields.is_empty() {
        return Ok(());
    }
    Err(validation::nul_errors(fields).into())
}

impl<T: Serialize> IntoResponse for Json<T> {
    fn into_response(self) -> Response {
        axum::Json(self.0).into_response()
    }
}

/// Path parameters, e.g. the `{id}` in `/v1/items/{id}`.
#[derive(Debug, Clone, Copy, Default)]
pub struct Path<T>(pub T);

impl<T, S> FromRequestParts<S> for Path<T>
where
    T: DeserializeOwned + Send,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        if contains_escaped_nul(parts.uri.path()) {
            let axum::extract::Path(params) =
                axum::extract::Path::<Vec<(String, String)>>::from_request_parts(parts, state)
                    .await?;
            reject_nul_in(params)?;
        }
        let axum::extract::Path(value) =
            axum::extract::Path::<T>::from_request_parts(parts, state).await?;
        Ok(Self(value))
    }
}

/// Query string parameters.
#[derive(Debug, Clone, Copy, Default)]
pub struct Query<T>(pub T);

impl<T, S> FromRequestParts<S> for Query<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        reject_nul_in_query(&parts.uri)?;
        let axum::extract::Query(value) =
            axum::extract::Query::<T>::from_request_parts(parts, state).await?;
        Ok(Self(value))
    }
}
