//! The product listing: what this service shows of the products of `product`, and how a
//! listing may be filtered. Products are copied from `ProductChanged` events
//! (`events::product_changed`); nothing here changes one.

use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use super::validation::ValidationErrors;

/// At most this many units left is `low_stock`.
pub const LOW_STOCK_MAX: i32 = 5;
/// Longest `q` or `category` accepted: product names are at most 200 characters, so a longer
/// search could never match.
pub const FILTER_MAX_CHARS: usize = 200;

/// A product as listed: the newest version received, never a deleted one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Product {
    pub id: Uuid,
    pub name: String,
    /// `None` when the product has none: `product` publishes an absent description as "".
    pub description: Option<String>,
    pub price_cents: i64,
    pub stock: i32,
    pub category: String,
    /// When `product` made the change this copy reflects.
    pub changed_at: DateTime<Utc>,
}

impl Product {
    pub fn availability(&self) -> Availability {
        Availability::of_stock(self.stock)
    }

    /// The price in major units with two decimals, e.g. `12.34`.
    pub fn price(&self) -> String {
        format_cents(self.price_cents)
    }
}

/// Whether a product can be bought, and whether it is running out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Availability {
    /// More than [`LOW_STOCK_MAX`] units.
    InStock,
    /// 1 to [`LOW_STOCK_MAX`] units.
    LowStock,
    /// No units (a stock of 0 or less).
    OutOfStock,
}

impl Availability {
    pub fn of_stock(stock: i32) -> Self {
        match stock {
            ..=0 => Self::OutOfStock,
            1..=LOW_STOCK_MAX => Self::LowStock,
            _ => Self::InStock,
        }
    }

    /// Available means at least one unit: `in_stock` or `low_stock`. The listing's
    /// `available` filter is the same rule in SQL (`stock > 0`, in `db::products`).
    pub fn is_available(self) -> bool {
        self != Self::OutOfStock
    }
}

/// `-1234` -> `-12.34`; exact for every `i64`, unlike a float.
pub fn format_cents(cents: i64) -> String {
    let sign = if cents < 0 { "-" } else { "" };
    let abs = cents.unsigned_abs();
    format!("{sign}{}.{:02}", abs / 100, abs % 100)
}

/// The products one category has.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CategorySummary {
    pub name: String,
    /// Listed (not deleted) products in the category.
    pub product_count: i64,
    /// Those of them that are available (see [`Availability::is_available`]).
    pub available_count: i64,
}

/// A validated listing filter; every condition present must hold.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProductFilter {
    /// A substring of the name, matched ignoring case; `%` and `_` are plain characters.
    pub name_contains: Option<String>,
    /// The category, matched exactly.
    pub category: Option<String>,
    /// `true`: available products only; `false`: out-of-stock ones only.
    pub available: Option<bool>,
}

impl ProductFilter {
    /// Trims `q` and `category` and checks them, reporting every broken rule at once. A
    /// parameter left out filters nothing; one sent blank is a mistake, not "everything".
    pub fn parse(
        q: Option<&str>,
        category: Option<&str>,
        available: Option<bool>,
    ) -> Result<Self, ValidationErrors> {
        let mut errors = ValidationErrors::default();
        let name_contains = text_filter(&mut errors, "q", q);
        let category = text_filter(&mut errors, "category", category);
        errors.into_result(Self {
            name_contains,
            category,
            available,
        })
    }
}

fn text_filter(errors: &mut ValidationErrors, field: &str, value: Option<&str>) -> Option<String> {
    let value = value?.trim();
    if value.is_empty() {
        errors.add(
            field,
            "blank",
            "must not be blank; leave the parameter out to filter nothing",
        );
    } else if value.chars().count() > FILTER_MAX_CHARS {
        errors.add(
            field,
            "too_long",
            format!("must be at most {FILTER_MAX_CHARS} characters"),
        );
    }
    Some(value.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn availability_thresholds() {
        assert_eq!(Availability::of_stock(-3), Availability::OutOfStock);
        assert_eq!(Availability::of_stock(0), Availability::OutOfStock);
        assert_eq!(Availability::of_stock(1), Availability::LowStock);
        assert_eq!(
            Availability::of_stock(LOW_STOCK_MAX),
            Availability::LowStock
        );
        assert_eq!(
            Availability::of_stock(LOW_STOCK_MAX + 1),
            Availability::InStock
        );
        assert!(!Availability::OutOfStock.is_available());
        assert!(Availability::LowStock.is_available());
    }

    #[test]
    fn formats_cents_exactly() {
        assert_eq!(format_cents(0), "0.00");
        assert_eq!(format_cents(5), "0.05");
        assert_eq!(format_cents(1234), "12.34");
        assert_eq!(format_cents(-1234), "-12.34");
        assert_eq!(format_cents(i64::MIN), "-92233720368547758.08");
        assert_eq!(format_cents(i64::MAX), "92233720368547758.07");
    }

    #[test]
    fn trims_filters() {
        let filter =
            ProductFilter::parse(Some("  lamp "), Some(" lighting"), Some(true)).expect("valid");
        assert_eq!(filter.name_contains.as_deref(), Some("lamp"));
        assert_eq!(filter.category.as_deref(), Some("lighting"));
        assert_eq!(filter.available, Some(true));
    }

    #[test]
    fn reports_every_broken_rule() {
        let long = "é".repeat(FILTER_MAX_CHARS + 1);
        let errors = ProductFilter::parse(Some(" "), Some(&long), None).expect_err("invalid");
        let broken: Vec<(&str, &str)> = errors
            .0
            .iter()
            .map(|e| (e.field.as_str(), e.code.as_str()))
            .collect();
        assert_eq!(broken, [("q", "blank"), ("category", "too_long")]);
    }

    #[test]
    fn counts_characters_not_bytes() {
        let q = "é".repeat(FILTER_MAX_CHARS);
        assert!(ProductFilter::parse(Some(&q), None, None).is_ok());
    }
}
