//! `ProductChanged`: consumed from `product` (its contract is `events/product-changed.v1.json`
//! in the product repository).
//!
//! [`Consume::apply`] below is yours: the generated one keeps a local copy of each
//! product in `product_copy`. Whatever it does, it runs in the transaction
//! that records the event as handled, so it happens once per event.

use serde::{Deserialize, Serialize};
use sqlx::{Postgres, Transaction};
use uuid::Uuid;

use super::consumer::{Consume, HandlerError, Outcome};
use super::envelope::{Change, CloudEvent};

/// The event's `data`. Fields the producer adds later are ignored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProductChanged {
    /// The product's id.
    pub id: Uuid,
    /// The product's version after the change.
    pub version: i64,
    pub change: Change,
    pub name: String,
    pub description: String,
    pub price_cents: i64,
    pub stock: i32,
    pub category: String,
}

impl Consume for ProductChanged {
    const PRODUCER: &'static str = "product";
    const EVENT_TYPE: &'static str = "product.product_changed.v1";
    const NAME: &'static str = "product_changed";

    /// Upserts the copy unless it already holds this version or a newer one; a deletion keeps
    /// the row, marked `deleted`, so a late older event cannot bring it back.
    async fn apply(
        tx: &mut Transaction<'_, Postgres>,
        event: &CloudEvent<Self>,
    ) -> Result<Outcome, HandlerError> {
        let data = &event.data;
        let result = sqlx::query(
            "insert into product_copy \
             (id, version, deleted, name, description, price_cents, stock, category, changed_at) \
             values ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
             on conflict (id) do update set \
             version = excluded.version, deleted = excluded.deleted, \
             name = excluded.name, description = excluded.description, price_cents = excluded.price_cents, stock = excluded.stock, category = excluded.category, \
             changed_at = excluded.changed_at, updated_at = now() \
             where product_copy.version < excluded.version",
        )
        .bind(data.id)
        .bind(data.version)
        .bind(data.change == Change::Deleted)
        .bind(&data.name)
        .bind(&data.description)
        .bind(data.price_cents)
        .bind(data.stock)
        .bind(&data.category)
        .bind(event.time)
        .execute(&mut **tx)
        .await?;
        Ok(if result.rows_affected() == 1 {
            Outcome::Applied
        } else {
            Outcome::Stale
        })
    }
}
