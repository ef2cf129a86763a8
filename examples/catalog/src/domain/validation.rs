//! Field-level validation failures, reported together as one 422 problem.

use serde::Serialize;
use utoipa::ToSchema;

/// One rule a field broke.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct FieldError {
    /// The offending field, as named in the request (`name`, `limit`, ...).
    pub field: String,
    /// A stable, machine-readable reason, e.g. `too_long`.
    pub code: String,
    pub message: String,
}

/// Every rule the input broke, in field order.
#[derive(Debug, Clone, Default, PartialEq, Eq, thiserror::Error)]
#[error("{} field(s) failed validation", .0.len())]
pub struct ValidationErrors(pub Vec<FieldError>);

impl ValidationErrors {
    pub fn single(field: &str, code: &str, message: impl Into<String>) -> Self {
        let mut errors = Self::default();
        errors.add(field, code, message);
        errors
    }

    pub fn add(&mut self, field: &str, code: &str, message: impl Into<String>) {
        self.0.push(FieldError {
            field: field.to_owned(),
            code: code.to_owned(),
            message: message.into(),
        });
    }

    /// `Ok(value)` when no rule was broken.
    pub fn into_result<T>(self, value: T) -> Result<T, Self> {
        if self.0.is_empty() {
            Ok(value)
        } else {
            Err(self)
        }
    }
}
