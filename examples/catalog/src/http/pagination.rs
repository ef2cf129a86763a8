//! The one envelope every list endpoint returns: `{"items": [...], "page": {...}}`.

use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::domain::validation::ValidationErrors;

pub const DEFAULT_LIMIT: i64 = 20;
pub const MAX_LIMIT: i64 = 100;

/// `?limit=&offset=` as sent; see [`PageParams::validate`].
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageParams {
    /// Page size, 1 to 100 (default 20).
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<i64>,
    /// Number of entries to skip (default 0).
    #[param(minimum = 0)]
    pub offset: Option<i64>,
}

/// A validated page request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageRequest {
    pub limit: i64,
    pub offset: i64,
}

impl PageParams {
    pub fn validate(&self) -> Result<PageRequest, ValidationErrors> {
        let mut errors = ValidationErrors::default();
        let limit = self.limit.unwrap_or(DEFAULT_LIMIT);
        if !(1..=MAX_LIMIT).contains(&limit) {
            errors.add(
                "limit",
                "out_of_range",
                format!("must be between 1 and {MAX_LIMIT}"),
            );
        }
        let offset = self.offset.unwrap_or(0);
        if offset < 0 {
            errors.add("offset", "out_of_range", "must not be negative");
        }
        errors.into_result(PageRequest { limit, offset })
    }
}

/// One page of a collection.
#[derive(Debug, Serialize, ToSchema)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub page: PageInfo,
}

#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
pub struct PageInfo {
    pub limit: i64,
    pub offset: i64,
    /// Number of entries in the whole collection.
    pub total: i64,
}

impl<T> Page<T> {
    pub fn new(items: Vec<T>, request: PageRequest, total: i64) -> Self {
        Self {
            items,
            page: PageInfo {
                limit: request.limit,
                offset: request.offset,
                total,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_to_first_page() {
        let request = PageParams::default().validate().expect("valid");
        assert_eq!(
            request,
            PageRequest {
                limit: DEFAULT_LIMIT,
                offset: 0
            }
        );
    }

    #[test]
    fn rejects_out_of_range_values_per_field() {
        let params = PageParams {
            limit: Some(MAX_LIMIT + 1),
            offset: Some(-1),
        };
        let errors = params.validate().expect_err("invalid");
        let fields: Vec<&str> = errors.0.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["limit", "offset"]);
    }
}
