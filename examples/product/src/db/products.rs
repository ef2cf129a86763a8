//! Queries on the `products` table.
//!
//! Every write runs in a transaction, so whatever else must commit with it (the events
//! `svcgen add-event` inserts at the `svcgen:anchor` lines) commits or rolls back with the row.

use chrono::{DateTime, Utc};
use sqlx::PgPool;
use uuid::Uuid;

use crate::domain::product::Product;
use crate::domain::product::ProductFields;
use crate::events::envelope::Change;
// svcgen:anchor imports

/// Constraint names from the migration, mapped to API errors by the HTTP layer.
pub const NAME_UNIQUE: &str = "products_name_key";

#[derive(sqlx::FromRow)]
struct ProductRow {
    id: Uuid,
    name: String,
    description: Option<String>,
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
    let product: Product = sqlx::query_as::<_, ProductRow>(
        "insert into products (name, description) values ($1, $2) \
         returning id, name, description, version, created_at, updated_at",
    )
    .bind(&fields.name)
    .bind(&fields.description)
    .fetch_one(&mut *tx)
    .await?
    .into();
    crate::events::product_changed::emit(&mut tx, &product, Change::Created).await?;
    // svcgen:anchor resource-created
    tx.commit().await?;
    Ok(product)
}

pub async fn find(pool: &PgPool, id: Uuid) -> sqlx::Result<Option<Product>> {
    sqlx::query_as::<_, ProductRow>(
        "select id, name, description, version, created_at, updated_at from products where id = $1",
    )
    .bind(id)
    .fetch_optional(pool)
    .await
    .map(|row| row.map(Product::from))
}

/// One page of products in creation order, and the total number of products.
pub type Listing = (Vec<Product>, i64);

pub async fn list(pool: &PgPool, limit: i64, offset: i64) -> sqlx::Result<Listing> {
    let rows = sqlx::query_as::<_, ProductRow>(
        "select id, name, description, version, created_at, updated_at from products \
         order by created_at, id limit $1 offset $2",
    )
    .bind(limit)
    .bind(offset)
    .fetch_all(pool)
    .await?;
    let total: i64 = sqlx::query_scalar("select count(*) from products")
        .fetch_one(pool)
        .await?;
    Ok((rows.into_iter().map(Product::from).collect(), total))
}

/// Replaces the writable fields when the stored version is `expected_version`.
pub async fn update(
    pool: &PgPool,
    id: Uuid,
    expected_version: i64,
    fields: &ProductFields,
) -> sqlx::Result<UpdateOutcome> {
    let mut tx = pool.begin().await?;
    let updated = sqlx::query_as::<_, ProductRow>(
        "update products set name = $3, description = $4, version = version + 1 \
         where id = $1 and version = $2 \
         returning id, name, description, version, created_at, updated_at",
    )
    .bind(id)
    .bind(expected_version)
    .bind(&fields.name)
    .bind(&fields.description)
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
    let deleted = sqlx::query_as::<_, ProductRow>(
        "delete from products where id = $1 \
         returning id, name, description, version, created_at, updated_at",
    )
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
