//! The `product` resource: what a valid product is, and what a valid product filter is.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::validation::ValidationErrors;

pub const NAME_MAX_CHARS: usize = 200;
pub const DESCRIPTION_MAX_CHARS: usize = 2000;
/// 1 000 000.00 in the currency's main unit: a guard against typos (an extra zero or two), not a
/// business limit. The migration's `products_price_cents_range` has the same bound.
pub const PRICE_CENTS_MAX: i64 = 100_000_000;
/// The `stock` column is an `integer`.
pub const STOCK_MAX: i64 = i32::MAX as i64;
pub const CATEGORY_MAX_CHARS: usize = 50;

/// A stored product.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Product {
    pub id: Uuid,
    pub name: String,
    pub description: Option<String>,
    /// In the currency's smallest unit (cents), so sums are exact.
    pub price_cents: i64,
    /// Units on hand; 0 means out of stock.
    pub stock: i32,
    /// A lowercase slug such as `home-garden`: see [`normalize_category`].
    pub category: String,
    /// Incremented on every update; clients send it back to update (optimistic concurrency).
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// The writable fields of one product as a client sent them, before any check. Missing values
/// are `None`, so each one is reported as a field error rather than a body error.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ProductInput<'a> {
    pub name: &'a str,
    pub description: Option<&'a str>,
    pub price_cents: Option<i64>,
    /// Wider than the column, so an out-of-range number is a field error too.
    pub stock: Option<i64>,
    pub category: Option<&'a str>,
}

/// The writable fields of one product, validated. Used for both create and update.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProductFields {
    pub name: String,
    pub description: Option<String>,
    pub price_cents: i64,
    pub stock: i32,
    pub category: String,
}

impl ProductFields {
    /// Trims the input and checks every rule, reporting all broken rules at once.
    /// The database constraints enforce the same limits; these checks give better messages.
    pub fn parse(input: ProductInput<'_>) -> Result<Self, ValidationErrors> {
        let mut errors = ValidationErrors::default();

        let name = input.name.trim();
        if name.is_empty() {
            errors.add("name", "required", "must not be empty");
        } else if name.chars().count() > NAME_MAX_CHARS {
            errors.add(
                "name",
                "too_long",
                format!("must be at most {NAME_MAX_CHARS} characters"),
            );
        }

        let description = input.description.map(str::trim).filter(|d| !d.is_empty());
        if description.is_some_and(|d| d.chars().count() > DESCRIPTION_MAX_CHARS) {
            errors.add(
                "description",
                "too_long",
                format!("must be at most {DESCRIPTION_MAX_CHARS} characters"),
            );
        }

        let price_cents = match input.price_cents {
            None => {
                errors.add("price_cents", "required", "must be given, in cents");
                0
            }
            Some(price) if !(0..=PRICE_CENTS_MAX).contains(&price) => {
                errors.add(
                    "price_cents",
                    "out_of_range",
                    format!("must be between 0 and {PRICE_CENTS_MAX}"),
                );
                0
            }
            Some(price) => price,
        };

        let stock = match input.stock.map(i32::try_from) {
            None => {
                errors.add("stock", "required", "must be given (0 when out of stock)");
                0
            }
            Some(Ok(stock)) if stock >= 0 => stock,
            Some(_) => {
                errors.add(
                    "stock",
                    "out_of_range",
                    format!("must be between 0 and {STOCK_MAX}"),
                );
                0
            }
        };

        let category = match input.category.map(normalize_category) {
            None => {
                errors.add("category", "required", "must not be empty");
                String::new()
            }
            Some(Err((code, message))) => {
                errors.add("category", code, message);
                String::new()
            }
            Some(Ok(category)) => category,
        };

        errors.into_result(Self {
            name: name.to_owned(),
            description: description.map(str::to_owned),
            price_cents,
            stock,
            category,
        })
    }
}

/// Categories are slugs: trimmed, lowercased, then made of ASCII letters and digits in groups
/// joined by single hyphens (`kitchen`, `home-garden`, `books`). Clients may send `Kitchen`; it is
/// stored, published and filtered as `kitchen`, so one category has one spelling everywhere.
/// Returns the error code and message of the first rule broken.
pub fn normalize_category(raw: &str) -> Result<String, (&'static str, String)> {
    let category = raw.trim().to_lowercase();
    if category.is_empty() {
        return Err(("required", "must not be empty".to_owned()));
    }
    if category.chars().count() > CATEGORY_MAX_CHARS {
        return Err((
            "too_long",
            format!("must be at most {CATEGORY_MAX_CHARS} characters"),
        ));
    }
    let is_slug = category.split('-').all(|part| {
        !part.is_empty()
            && part
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
    });
    if !is_slug {
        return Err((
            "invalid_format",
            "must be letters and digits in words joined by single hyphens, e.g. `home-garden`"
                .to_owned(),
        ));
    }
    Ok(category)
}

/// Whether a listing keeps products with stock, without, or both.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StockFilter {
    InStock,
    OutOfStock,
}

/// Which products a listing keeps: every condition given must hold.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProductFilter {
    /// Exactly this category (normalized like a product's).
    pub category: Option<String>,
    /// A substring of the name, compared case-insensitively.
    pub name_contains: Option<String>,
    pub stock: Option<StockFilter>,
}

impl ProductFilter {
    /// Checks the raw query values (`category`, `q`, `in_stock`), reporting every bad one.
    pub fn parse(
        category: Option<&str>,
        q: Option<&str>,
        in_stock: Option<&str>,
    ) -> Result<Self, ValidationErrors> {
        let mut errors = ValidationErrors::default();

        let category = category.and_then(|raw| match normalize_category(raw) {
            Ok(category) => Some(category),
            Err((code, message)) => {
                errors.add("category", code, message);
                None
            }
        });

        let name_contains = q.map(str::trim).and_then(|q| {
            if q.is_empty() {
                errors.add("q", "required", "must not be empty when given");
                None
            } else if q.chars().count() > NAME_MAX_CHARS {
                errors.add(
                    "q",
                    "too_long",
                    format!("must be at most {NAME_MAX_CHARS} characters"),
                );
                None
            } else {
                Some(q.to_owned())
            }
        });

        let stock = in_stock.and_then(|raw| match raw {
            "true" => Some(StockFilter::InStock),
            "false" => Some(StockFilter::OutOfStock),
            _ => {
                errors.add("in_stock", "invalid_value", "must be `true` or `false`");
                None
            }
        });

        errors.into_result(Self {
            category,
            name_contains,
            stock,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn valid_input(name: &str) -> ProductInput<'_> {
        ProductInput {
            name,
            description: None,
            price_cents: Some(1999),
            stock: Some(3),
            category: Some("lighting"),
        }
    }

    fn fields_of(errors: &ValidationErrors) -> Vec<(&str, &str)> {
        errors
            .0
            .iter()
            .map(|e| (e.field.as_str(), e.code.as_str()))
            .collect()
    }

    #[test]
    fn trims_name_and_drops_blank_description() {
        let fields = ProductFields::parse(ProductInput {
            description: Some("   "),
            ..valid_input("  lamp ")
        })
        .expect("valid");
        assert_eq!(fields.name, "lamp");
        assert_eq!(fields.description, None);
        assert_eq!(
            (fields.price_cents, fields.stock, fields.category.as_str()),
            (1999, 3, "lighting")
        );
    }

    #[test]
    fn reports_every_broken_rule() {
        let long = "x".repeat(DESCRIPTION_MAX_CHARS + 1);
        let errors = ProductFields::parse(ProductInput {
            name: " ",
            description: Some(&long),
            price_cents: Some(-1),
            stock: None,
            category: Some("Home & Garden"),
        })
        .expect_err("invalid");
        assert_eq!(
            fields_of(&errors),
            [
                ("name", "required"),
                ("description", "too_long"),
                ("price_cents", "out_of_range"),
                ("stock", "required"),
                ("category", "invalid_format"),
            ]
        );
    }

    #[test]
    fn counts_characters_not_bytes() {
        let name = "é".repeat(NAME_MAX_CHARS);
        assert!(ProductFields::parse(valid_input(&name)).is_ok());
    }

    #[test]
    fn accepts_the_bounds_of_price_and_stock() {
        let input = ProductInput {
            price_cents: Some(PRICE_CENTS_MAX),
            stock: Some(STOCK_MAX),
            ..valid_input("lamp")
        };
        assert!(ProductFields::parse(input).is_ok());
        let zero = ProductInput {
            price_cents: Some(0),
            stock: Some(0),
            ..valid_input("lamp")
        };
        assert!(ProductFields::parse(zero).is_ok());
    }

    #[test]
    fn rejects_price_and_stock_past_their_bounds() {
        let input = ProductInput {
            price_cents: Some(PRICE_CENTS_MAX + 1),
            stock: Some(STOCK_MAX + 1),
            ..valid_input("lamp")
        };
        let errors = ProductFields::parse(input).expect_err("invalid");
        assert_eq!(
            fields_of(&errors),
            [("price_cents", "out_of_range"), ("stock", "out_of_range")]
        );
    }

    #[test]
    fn normalizes_categories_to_slugs() {
        assert_eq!(normalize_category(" Kitchen ").as_deref(), Ok("kitchen"));
        assert_eq!(
            normalize_category("home-garden-2").as_deref(),
            Ok("home-garden-2")
        );
        for bad in [
            "home garden",
            "-home",
            "home-",
            "home--garden",
            "küche",
            "a_b",
        ] {
            assert_eq!(
                normalize_category(bad).map_err(|(code, _)| code),
                Err("invalid_format"),
                "{bad}"
            );
        }
        assert_eq!(
            normalize_category(&"a".repeat(CATEGORY_MAX_CHARS + 1)).map_err(|(code, _)| code),
            Err("too_long")
        );
        assert_eq!(
            normalize_category("  ").map_err(|(code, _)| code),
            Err("required")
        );
    }

    #[test]
    fn filter_normalizes_category_and_trims_the_search() {
        let filter =
            ProductFilter::parse(Some("Lighting"), Some(" lamp "), Some("false")).expect("valid");
        assert_eq!(
            filter,
            ProductFilter {
                category: Some("lighting".to_owned()),
                name_contains: Some("lamp".to_owned()),
                stock: Some(StockFilter::OutOfStock),
            }
        );
        assert_eq!(
            ProductFilter::parse(None, None, None).expect("valid"),
            ProductFilter::default()
        );
    }

    #[test]
    fn filter_reports_every_bad_value() {
        let errors =
            ProductFilter::parse(Some("no good"), Some(" "), Some("yes")).expect_err("bad");
        assert_eq!(
            fields_of(&errors),
            [
                ("category", "invalid_format"),
                ("q", "required"),
                ("in_stock", "invalid_value"),
            ]
        );
    }
}
