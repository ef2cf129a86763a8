//! `ProductChanged`: consumed from `product` (its contract is `events/product-changed.v1.json`
//! in the product repository).
//!
//! [`Consume::apply_batch`] below is yours: the generated one keeps a local copy of each
//! product in `product_copy`. Whatever it does, it runs in the transaction
//! that records the events as handled, so it happens once per event.

use std::collections::{HashMap, HashSet};

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

    /// One event: a batch of one.
    async fn apply(
        tx: &mut Transaction<'_, Postgres>,
        event: &CloudEvent<Self>,
    ) -> Result<Outcome, HandlerError> {
        let outcomes = Self::apply_batch(tx, std::slice::from_ref(event)).await?;
        Ok(outcomes[0])
    }

    /// Upserts the copies in one statement, each unless it already holds this version or a
    /// newer one; a deletion keeps the row, marked `deleted`, so a late older event cannot
    /// bring it back.
    async fn apply_batch(
        tx: &mut Transaction<'_, Postgres>,
        events: &[CloudEvent<Self>],
    ) -> Result<Vec<Outcome>, HandlerError> {
        // Only the newest version per id is written: one statement may not change a row twice,
        // and the older versions are stale anyway.
        let mut newest: HashMap<Uuid, usize> = HashMap::new();
        for (index, event) in events.iter().enumerate() {
            let kept = newest.entry(event.data.id).or_insert(index);
            if events[*kept].data.version < event.data.version {
                *kept = index;
            }
        }
        // In id order, so concurrent batches lock the rows in the same order (no deadlocks).
        let mut rows: Vec<&CloudEvent<Self>> =
            newest.values().map(|&index| &events[index]).collect();
        rows.sort_unstable_by_key(|event| event.data.id);

        // The table and field names are quoted, so an SQL keyword (`order`, `user`) can be one.
        let applied: HashSet<Uuid> = sqlx::query_scalar(
            r#"insert into "product_copy"
             (id, version, deleted, "name", "description", "price_cents", "stock", "category", changed_at)
             select * from unnest($1::uuid[], $2::bigint[], $3::boolean[], $4::text[], $5::text[], $6::bigint[], $7::integer[], $8::text[], $9::timestamptz[])
             on conflict (id) do update set
             version = excluded.version, deleted = excluded.deleted,
             "name" = excluded."name", "description" = excluded."description", "price_cents" = excluded."price_cents", "stock" = excluded."stock", "category" = excluded."category", changed_at = excluded.changed_at, updated_at = now()
             where "product_copy".version < excluded.version
             returning id"#,
        )
        .bind(column(&rows, |event| event.data.id))
        .bind(column(&rows, |event| event.data.version))
        .bind(column(&rows, |event| event.data.change == Change::Deleted))
        .bind(column(&rows, |event| event.data.name.clone()))
        .bind(column(&rows, |event| event.data.description.clone()))
        .bind(column(&rows, |event| event.data.price_cents))
        .bind(column(&rows, |event| event.data.stock))
        .bind(column(&rows, |event| event.data.category.clone()))
        .bind(column(&rows, |event| event.time))
        .fetch_all(&mut **tx)
        .await?
        .into_iter()
        .collect();
        Ok(events
            .iter()
            .enumerate()
            .map(|(index, event)| {
                if newest[&event.data.id] == index && applied.contains(&event.data.id) {
                    Outcome::Applied
                } else {
                    Outcome::Stale
                }
            })
            .collect())
    }
}

/// One column of the rows, to bind as an array.
fn column<R, T>(rows: &[&R], value: impl Fn(&R) -> T) -> Vec<T> {
    rows.iter().map(|&row| value(row)).collect()
}
