//! `product seed`: loads sample products, for demos and local development.
//!
//! Each product goes through the same validation and the same `db::products::insert` as
//! `POST /v1/products`, so each one emits `ProductChanged` in its own transaction and reaches the
//! services that consume it once the relay runs. Products whose name already exists are skipped,
//! so running the seed again changes nothing.

use std::fmt;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use sqlx::PgPool;

use crate::config::DatabaseConfig;
use crate::db;
use crate::domain::product::{ProductFields, ProductInput};

/// `seed/products.json`, compiled in: `product seed` works from any directory and in the image.
pub const BUNDLED: &str = include_str!("../seed/products.json");

/// One entry of a seed file: the body of `POST /v1/products`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SeedProduct {
    name: String,
    description: Option<String>,
    price_cents: Option<i64>,
    stock: Option<i64>,
    category: Option<String>,
}

/// What a seed run did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SeedReport {
    pub created: usize,
    /// Products whose name was already taken.
    pub skipped: usize,
}

impl fmt::Display for SeedReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "seed: created {} product(s), skipped {} (name already present)",
            self.created, self.skipped
        )
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SeedError {
    #[error("cannot read the seed file {}: {source}", path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("the seed is not a JSON list of products: {0}")]
    Json(#[from] serde_json::Error),
    /// Every invalid entry, so one run shows everything to fix; nothing was written.
    #[error("invalid seed products, nothing loaded: {}", .0.join("; "))]
    Invalid(Vec<String>),
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
}

/// Parses and validates a seed file's text: a JSON list of product bodies.
pub fn parse(json: &str) -> Result<Vec<ProductFields>, SeedError> {
    let entries: Vec<SeedProduct> = serde_json::from_str(json)?;
    let mut products = Vec::with_capacity(entries.len());
    let mut invalid = Vec::new();
    for (index, entry) in entries.iter().enumerate() {
        let input = ProductInput {
            name: &entry.name,
            description: entry.description.as_deref(),
            price_cents: entry.price_cents,
            stock: entry.stock,
            category: entry.category.as_deref(),
        };
        match ProductFields::parse(input) {
            Ok(fields) => products.push(fields),
            Err(errors) => {
                let problems: Vec<String> = errors
                    .0
                    .iter()
                    .map(|e| format!("{} {}", e.field, e.message))
                    .collect();
                invalid.push(format!(
                    "entry {index} ({:?}): {}",
                    entry.name,
                    problems.join(", ")
                ));
            }
        }
    }
    if invalid.is_empty() {
        Ok(products)
    } else {
        Err(SeedError::Invalid(invalid))
    }
}

/// Inserts the products whose name is not taken yet, each in its own transaction with its event.
pub async fn load(pool: &PgPool, products: &[ProductFields]) -> Result<SeedReport, SeedError> {
    let mut report = SeedReport::default();
    for product in products {
        if db::products::name_exists(pool, &product.name).await? {
            report.skipped += 1;
            continue;
        }
        match db::products::insert(pool, product).await {
            Ok(_) => report.created += 1,
            // Created by someone else since the check: skipped all the same.
            Err(sqlx::Error::Database(err))
                if err.constraint() == Some(db::products::NAME_UNIQUE) =>
            {
                report.skipped += 1;
            }
            Err(err) => return Err(err.into()),
        }
    }
    Ok(report)
}

/// `product seed [--file PATH]`: the bundled products, or those of `file`.
pub async fn run(config: &DatabaseConfig, file: Option<&Path>) -> Result<SeedReport, SeedError> {
    let json = match file {
        Some(path) => std::fs::read_to_string(path).map_err(|source| SeedError::Read {
            path: path.to_owned(),
            source,
        })?,
        None => BUNDLED.to_owned(),
    };
    let products = parse(&json)?;
    let pool = db::connect_lazy(config);
    let report = load(&pool, &products).await;
    pool.close().await;
    report
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bundled_seed_is_valid_with_unique_names_across_six_categories() {
        let products = parse(BUNDLED).expect("valid seed");
        let mut names: Vec<&str> = products.iter().map(|p| p.name.as_str()).collect();
        let mut categories: Vec<&str> = products.iter().map(|p| p.category.as_str()).collect();
        names.sort_unstable();
        names.dedup();
        categories.sort_unstable();
        categories.dedup();
        assert_eq!(names.len(), products.len());
        assert_eq!(products.len(), 40);
        assert_eq!(categories.len(), 6);
        assert!(products.iter().any(|p| p.stock == 0), "some out of stock");
    }

    #[test]
    fn reports_every_invalid_entry() {
        let json = r#"[
            {"name": "ok", "price_cents": 1, "stock": 1, "category": "misc"},
            {"name": "", "price_cents": 1, "stock": 1, "category": "misc"},
            {"name": "cheap", "price_cents": -5, "stock": 1}
        ]"#;
        let Err(SeedError::Invalid(invalid)) = parse(json) else {
            panic!("expected invalid entries");
        };
        assert_eq!(invalid.len(), 2);
        assert!(invalid[0].starts_with("entry 1"), "{invalid:?}");
        assert!(invalid[1].contains("price_cents"), "{invalid:?}");
        assert!(invalid[1].contains("category"), "{invalid:?}");
    }

    #[test]
    fn rejects_unknown_fields() {
        let json = r#"[{"name": "x", "price": 1}]"#;
        assert!(matches!(parse(json), Err(SeedError::Json(_))));
    }
}
