//! The one error type every handler returns, mapped to problem responses.

use std::fmt;

use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use sqlx::error::DatabaseError;

use super::problem::Problem;
use crate::domain::validation::ValidationErrors;

#[derive(thiserror::Error)]
pub enum ApiError {
    /// 422 with one entry per broken rule.
    #[error("request validation failed")]
    Validation(#[from] ValidationErrors),

    /// 404 for a resource that does not exist; the payload names it (`item`).
    #[error("{0} not found")]
    NotFound(&'static str),

    /// 409: the request conflicts with the current state (duplicate, stale version).
    #[error("{detail}")]
    Conflict { code: &'static str, detail: String },

    /// The request could not be read: malformed JSON, wrong content type,
    /// bad path or query parameter. The status comes from the rejection.
    #[error("{detail}")]
    Unreadable {
        status: StatusCode,
        code: &'static str,
        detail: String,
    },

    /// 503: a dependency is down or the service is shutting down.
    #[error("service unavailable: {0}")]
    Unavailable(&'static str),

    /// 500 with a masked body; the cause chain is logged.
    #[error("database query failed")]
    Database(#[from] sqlx::Error),
}

impl fmt::Debug for ApiError {
    /// Prints the whole cause chain, so one log field tells the full story.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{self}")?;
        let mut source = std::error::Error::source(self);
        while let Some(cause) = source {
            write!(f, "\n  caused by: {cause}")?;
            source = cause.source();
        }
        Ok(())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let problem = match &self {
            Self::Validation(errors) => Problem::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "validation_failed",
                "the request has invalid fields; see `errors`",
            )
            .with_errors(errors.0.clone()),
            Self::NotFound(_) => Problem::new(StatusCode::NOT_FOUND, "not_found", self.to_string()),
            Self::Conflict { code, detail } => Problem::new(StatusCode::CONFLICT, code, detail),
            Self::Unreadable {
                status,
                code,
                detail,
            } => Problem::new(*status, code, detail),
            Self::Unavailable(reason) => {
                Problem::new(StatusCode::SERVICE_UNAVAILABLE, "unavailable", *reason)
            }
            Self::Database(_) => {
                tracing::error!(error = ?self, "request failed");
                Problem::internal()
            }
        };
        problem.into_response()
    }
}

/// Turns a database error on a named constraint into a specific API error;
/// constraint names come from the migrations.
pub trait ResultExt<T> {
    fn on_constraint(
        self,
        name: &str,
        map: impl FnOnce(Box<dyn DatabaseError>) -> ApiError,
    ) -> Result<T, ApiError>;
}

impl<T, E: Into<ApiError>> ResultExt<T> for Result<T, E> {
    fn on_constraint(
        self,
        name: &str,
        map: impl FnOnce(Box<dyn DatabaseError>) -> ApiError,
    ) -> Result<T, ApiError> {
        self.map_err(|err| match err.into() {
            ApiError::Database(sqlx::Error::Database(db_err))
                if db_err.constraint() == Some(name) =>
            {
                map(db_err)
            }
            other => other,
        })
    }
}

impl From<JsonRejection> for ApiError {
    fn from(rejection: JsonRejection) -> Self {
        let code = match &rejection {
            JsonRejection::JsonDataError(_) => "invalid_body",
            JsonRejection::JsonSyntaxError(_) => "malformed_json",
            JsonRejection::MissingJsonContentType(_) => "unsupported_media_type",
            _ if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE => "payload_too_large",
            _ => "unreadable_body",
        };
        Self::Unreadable {
            status: rejection.status(),
            code,
            detail: rejection.body_text(),
        }
    }
}

impl From<PathRejection> for ApiError {
    fn from(rejection: PathRejection) -> Self {
        Self::Unreadable {
            status: rejection.status(),
            code: "invalid_path_parameter",
            detail: rejection.body_text(),
        }
    }
}

impl From<QueryRejection> for ApiError {
    fn from(rejection: QueryRejection) -> Self {
        Self::Unreadable {
            status: rejection.status(),
            code: "invalid_query_parameter",
            detail: rejection.body_text(),
        }
    }
}
