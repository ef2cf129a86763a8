//! The `product` resource: what a valid product is.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::validation::ValidationErrors;

pub const NAME_MAX_CHARS: usize = 200;
pub const DESCRIPTION_MAX_CHARS: usize = 2000;

/// A stored product.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Product {
    pub id: Uuid,
    pub name: String,
    pub description: Option<String>,
    /// Incremented on every update; clients send it back to update (optimistic concurrency).
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// The writable fields of one product, validated. Used for both create and update.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProductFields {
    pub name: String,
    pub description: Option<String>,
}

impl ProductFields {
    /// Trims the input and checks every rule, reporting all broken rules at once.
    /// The database constraints enforce the same limits; these checks give better messages.
    pub fn parse(name: &str, description: Option<&str>) -> Result<Self, ValidationErrors> {
        let mut errors = ValidationErrors::default();

        let name = name.trim();
        if name.is_empty() {
            errors.add("name", "required", "must not be empty");
        } else if name.chars().count() > NAME_MAX_CHARS {
            errors.add(
                "name",
                "too_long",
                format!("must be at most {NAME_MAX_CHARS} characters"),
            );
        }

        let description = description.map(str::trim).filter(|d| !d.is_empty());
        if description.is_some_and(|d| d.chars().count() > DESCRIPTION_MAX_CHARS) {
            errors.add(
                "description",
                "too_long",
                format!("must be at most {DESCRIPTION_MAX_CHARS} characters"),
            );
        }

        errors.into_result(Self {
            name: name.to_owned(),
            description: description.map(str::to_owned),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trims_name_and_drops_blank_description() {
        let fields = ProductFields::parse("  lamp ", Some("   ")).expect("valid");
        assert_eq!(fields.name, "lamp");
        assert_eq!(fields.description, None);
    }

    #[test]
    fn reports_every_broken_rule() {
        let long = "x".repeat(DESCRIPTION_MAX_CHARS + 1);
        let errors = ProductFields::parse(" ", Some(&long)).expect_err("invalid");
        let fields: Vec<&str> = errors.0.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["name", "description"]);
    }

    #[test]
    fn counts_characters_not_bytes() {
        let name = "é".repeat(NAME_MAX_CHARS);
        assert!(ProductFields::parse(&name, None).is_ok());
    }
}
