//! Queries on the `products` table.
//!
//! Every write runs in a transaction, so whatever else must commit with it (the events
//! `svcgen add-event` inserts at the `svcgen:anchor` lines) commits or rolls back with the row.

use chrono::{DateTime, Utc};
use sqlx::{PgPool, Postgres, QueryBuilder};
use uuid::Uuid;

use crate::domain::product::Product;
use crate::domain::product::ProductFields;
use crate::domain::product::{ProductFilter, StockFilter};
use crate::events::envelope::Change;
// svcgen:anchor imports

/// Constraint names from the migration, mapped to API errors by the HTTP layer.
pub const NAME_UNIQUE: &str = "products_name_key";

/// The columns every query returns, in `ProductRow`'s order. A macro, not a `const`, so `concat!`
/// keeps each query a `&'static str`.
macro_rules! columns {
    () => {
        "id, name, description, price_cents, stock, category, version, created_at, updated_at"
    };
}

#[derive(sqlx::FromRow)]
struct ProductRow {
    id: Uuid,
    name: String,
    description: Option<String>,
    price_cents: i64,
    stock: i32,
    category: String,
    version: i64,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl From<ProductRow> for Product {
    fn from(row: ProductRow) -> Self {
        Self {
            id: row.id,
            name: row.name,
            description: row.description,
            price_cents: row.price_cents,
            stock: row.stock,
            category: row.category,
            version: row.version,
            created_at: row.created_at,
            updated_at: row.updated_at,
        }
    }
}

/// What an update with an expected version found.
#[derive(Debug)]
pub enum UpdateOutcome {
    Updated(Product),
    NotFound,
    /// The row exists at another version: someone else updated it first.
    VersionMismatch {
        current: i64,
    },
}

pub async fn insert(pool: &PgPool, fields: &ProductFields) -> sqlx::Result<Product> {
    let mut tx = pool.begin().await?;
    let product: Product = sqlx::query_as::<_, ProductRow>(concat!(
        "insert into products (name, description, price_cents, stock, category) \
         values ($1, $2, $3, $4, $5) returning ",
        columns!()
    ))
    .bind(&fields.name)
    .bind(&fields.description)
    .bind(fields.price_cents)
    .bind(fields.stock)
    .bind(&fields.category)
    .fetch_one(&mut *tx)
    .await?
    .into();
    crate::events::product_changed::emit(&mut tx, &product, Change::Created).await?;
    // svcgen:anchor resource-created
    tx.commit().await?;
    Ok(product)
}

pub async fn find(pool: &PgPool, id: Uuid) -> sqlx::Result<Option<Product>> {
    sqlx::query_as::<_, ProductRow>(concat!(
        "select ",
        columns!(),
        " from products where id = $1"
    ))
    .bind(id)
    .fetch_optional(pool)
    .await
    .map(|row| row.map(Product::from))
}

/// Whether a product with exactly this name exists (the seed skips those).
pub async fn name_exists(pool: &PgPool, name: &str) -> sqlx::Result<bool> {
    sqlx::query_scalar("select exists (select 1 from products where name = $1)")
        .bind(name)
        .fetch_one(pool)
        .await
}

/// One page of the products `filter` keeps, in creation order, and how many it keeps in all.
pub type Listing = (Vec<Product>, i64);

pub async fn list(
    pool: &PgPool,
    filter: &ProductFilter,
    limit: i64,
    offset: i64,
) -> sqlx::Result<Listing> {
    let mut page = QueryBuilder::<Postgres>::new(concat!("select ", columns!(), " from products"));
    push_conditions(&mut page, filter);
    page.push(" order by created_at, id limit ")
        .push_bind(limit)
        .push(" offset ")
        .push_bind(offset);
    let rows = page.build_query_as::<ProductRow>().fetch_all(pool).await?;

    let mut count = QueryBuilder::<Postgres>::new("select count(*) from products");
    push_conditions(&mut count, filter);
    let total: i64 = count.build_query_scalar().fetch_one(pool).await?;
    Ok((rows.into_iter().map(Product::from).collect(), total))
}

/// The `where` clause of a listing. Only the conditions given are added, so each query plan can
/// use the index that fits (`products_category_created` for a category).
fn push_conditions(query: &mut QueryBuilder<Postgres>, filter: &ProductFilter) {
    let mut keyword = " where ";
    let mut next = |query: &mut QueryBuilder<Postgres>| {
        query.push(keyword);
        keyword = " and ";
    };
    if let Some(category) = &filter.category {
        next(query);
        query.push("category = ").push_bind(category.clone());
    }
    if let Some(part) = &filter.name_contains {
        next(query);
        // `strpos` rather than `ilike`: `%` and `_` in the search are plain characters.
        query
            .push("strpos(lower(name), lower(")
            .push_bind(part.clone())
            .push(")) > 0");
    }
    if let Some(stock) = filter.stock {
        next(query);
        query.push(match stock {
            StockFilter::InStock => "stock > 0",
            StockFilter::OutOfStock => "stock = 0",
        });
    }
}

/// Replaces the writable fields when the stored version is `expected_version`.
pub async fn update(
    pool: &PgPool,
    id: Uuid,
    expected_version: i64,
    fields: &ProductFields,
) -> sqlx::Result<UpdateOutcome> {
    let mut tx = pool.begin().await?;
    let updated = sqlx::query_as::<_, ProductRow>(concat!(
        "update products set name = $3, description = $4, price_cents = $5, stock = $6, \
         category = $7, version = version + 1 \
         where id = $1 and version = $2 returning ",
        columns!()
    ))
    .bind(id)
    .bind(expected_version)
    .bind(&fields.name)
    .bind(&fields.description)
    .bind(fields.price_cents)
    .bind(fields.stock)
    .bind(&fields.category)
    .fetch_optional(&mut *tx)
    .await?;
    if let Some(row) = updated {
        let product = Product::from(row);
        crate::events::product_changed::emit(&mut tx, &product, Change::Updated).await?;
        // svcgen:anchor resource-updated
        tx.commit().await?;
        return Ok(UpdateOutcome::Updated(product));
    }

    // Nothing was written: the transaction rolls back when dropped.
    let current = sqlx::query_scalar::<_, i64>("select version from products where id = $1")
        .bind(id)
        .fetch_optional(&mut *tx)
        .await?;
    Ok(match current {
        Some(current) => UpdateOutcome::VersionMismatch { current },
        None => UpdateOutcome::NotFound,
    })
}

/// Returns the deleted product, or `None` when there was none.
pub async fn delete(pool: &PgPool, id: Uuid) -> sqlx::Result<Option<Product>> {
    let mut tx = pool.begin().await?;
    let deleted = sqlx::query_as::<_, ProductRow>(concat!(
        "delete from products where id = $1 returning ",
        columns!()
    ))
    .bind(id)
    .fetch_optional(&mut *tx)
    .await?;
    let Some(row) = deleted else {
        return Ok(None);
    };
    let product = Product::from(row);
    crate::events::product_changed::emit(&mut tx, &product, Change::Deleted).await?;
    // svcgen:anchor resource-deleted
    tx.commit().await?;
    Ok(Some(product))
}
