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

/// Code of the error for a text value holding U+0000, which PostgreSQL cannot
/// store in `text` or `jsonb`.
pub const NUL_CODE: &str = "nul_character";
pub const NUL_MESSAGE: &str = "must not contain the NUL character (U+0000)";

/// The path (`name`, `lines[2].sku`) of every string in `value` that holds a
/// NUL character, keys included, in document order. Applied to every JSON body
/// by the `Json` extractor, so no text field of any endpoint reaches the
/// database with one.
pub fn fields_with_nul(value: &serde_json::Value) -> Vec<String> {
    fn walk(value: &serde_json::Value, path: &str, found: &mut Vec<String>) {
        match value {
            serde_json::Value::String(text) if text.contains('\0') => found.push(path.to_owned()),
            serde_json::Value::Array(items) => {
                for (index, item) in items.iter().enumerate() {
                    walk(item, &format!("{path}[{index}]"), found);
                }
            }
            serde_json::Value::Object(members) => {
                for (key, member) in members {
                    let member_path = if path.is_empty() {
                        key.clone()
                    } else {
                        format!("{path}.{key}")
                    };
                    if key.contains('\0') {
                        found.push(member_path.clone());
                    }
                    walk(member, &member_path, found);
                }
            }
            _ => {}
        }
    }
    let mut found = Vec::new();
    walk(value, "", &mut found);
    found
}

/// One `nul_character` error per field in `fields`.
pub fn nul_errors(fields: impl IntoIterator<Item = String>) -> ValidationErrors {
    let mut errors = ValidationErrors::default();
    for field in fields {
        errors.add(&field, NUL_CODE, NUL_MESSAGE);
    }
    errors
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn names_every_string_with_a_nul_by_its_path() {
        let body = json!({
            "name": "a\u{0}b",
            "description": "fine",
            "lines": [{"sku": "ok"}, {"sku": "\u{0}"}],
            "k\u{0}ey": 1,
        });
        assert_eq!(fields_with_nul(&body), ["k\u{0}ey", "lines[1].sku", "name"]);
        assert!(fields_with_nul(&json!({"name": "a\\u0000b"})).is_empty());
    }
}
