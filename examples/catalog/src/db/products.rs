//! Queries on the product listing: the `product_listing` view (`product_copy` without the
//! deleted products, see the migration `product_listing`). Read only: `product_copy` is written
//! by the `ProductChanged` handler alone (`events::product_changed`).

use chrono::{DateTime, Utc};
use sqlx::{PgPool, Postgres, QueryBuilder};
use uuid::Uuid;

use crate::domain::product::{CategorySummary, Product, ProductFilter};

const PRODUCT_COLUMNS: &str = "id, name, description, price_cents, stock, category, changed_at";

#[derive(sqlx::FromRow)]
struct ProductRow {
    id: Uuid,
    name: String,
    description: String,
    price_cents: i64,
    stock: i32,
    category: String,
    changed_at: DateTime<Utc>,
}

impl From<ProductRow> for Product {
    fn from(row: ProductRow) -> Self {
        Self {
            id: row.id,
            name: row.name,
            description: Some(row.description).filter(|d| !d.is_empty()),
            price_cents: row.price_cents,
            stock: row.stock,
            category: row.category,
            changed_at: row.changed_at,
        }
    }
}

#[derive(sqlx::FromRow)]
struct CategoryRow {
    name: String,
    product_count: i64,
    available_count: i64,
}

impl From<CategoryRow> for CategorySummary {
    fn from(row: CategoryRow) -> Self {
        Self {
            name: row.name,
            product_count: row.product_count,
            available_count: row.available_count,
        }
    }
}

/// One page of products, and the number of products the filter matches.
pub type Listing = (Vec<Product>, i64);

/// Products matching `filter`, by name (then id, so pages never overlap).
pub async fn list(
    pool: &PgPool,
    filter: &ProductFilter,
    limit: i64,
    offset: i64,
) -> sqlx::Result<Listing> {
    let mut page =
        QueryBuilder::<Postgres>::new(format!("select {PRODUCT_COLUMNS} from product_listing"));
    push_conditions(&mut page, filter);
    page.push(" order by name, id limit ")
        .push_bind(limit)
        .push(" offset ")
        .push_bind(offset);
    let rows: Vec<ProductRow> = page.build_query_as().fetch_all(pool).await?;

    let mut count = QueryBuilder::<Postgres>::new("select count(*) from product_listing");
    push_conditions(&mut count, filter);
    let total: i64 = count.build_query_scalar().fetch_one(pool).await?;

    Ok((rows.into_iter().map(Product::from).collect(), total))
}

/// Only the conditions the filter has: a `$1 is null or ...` form would leave the planner a
/// generic plan that cannot pick the trigram or category index.
fn push_conditions(query: &mut QueryBuilder<Postgres>, filter: &ProductFilter) {
    query.push(" where true");
    if let Some(needle) = &filter.name_contains {
        query
            .push(" and name ilike ")
            .push_bind(format!("%{}%", escape_like(needle)));
    }
    if let Some(category) = &filter.category {
        query.push(" and category = ").push_bind(category.clone());
    }
    if let Some(available) = filter.available {
        // Availability::is_available, in SQL.
        query.push(if available {
            " and stock > 0"
        } else {
            " and stock <= 0"
        });
    }
}

/// Makes `%`, `_` and `\` match themselves in a `like` pattern (`\` is its default escape).
fn escape_like(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            escaped.push('\\');
        }
        escaped.push(c);
    }
    escaped
}

pub async fn find(pool: &PgPool, id: Uuid) -> sqlx::Result<Option<Product>> {
    sqlx::query_as::<_, ProductRow>(
        "select id, name, description, price_cents, stock, category, changed_at \
         from product_listing where id = $1",
    )
    .bind(id)
    .fetch_optional(pool)
    .await
    .map(|row| row.map(Product::from))
}

/// One page of the categories that have listed products, by name, and how many there are.
pub type CategoryListing = (Vec<CategorySummary>, i64);

pub async fn categories(pool: &PgPool, limit: i64, offset: i64) -> sqlx::Result<CategoryListing> {
    let rows = sqlx::query_as::<_, CategoryRow>(
        "select category as name, count(*) as product_count, \
         count(*) filter (where stock > 0) as available_count \
         from product_listing group by category order by category limit $1 offset $2",
    )
    .bind(limit)
    .bind(offset)
    .fetch_all(pool)
    .await?;
    let total: i64 = sqlx::query_scalar("select count(distinct category) from product_listing")
        .fetch_one(pool)
        .await?;
    Ok((rows.into_iter().map(CategorySummary::from).collect(), total))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_like_wildcards() {
        assert_eq!(escape_like(r"50%_off\"), r"50\%\_off\\");
        assert_eq!(escape_like("lamp"), "lamp");
    }
}
