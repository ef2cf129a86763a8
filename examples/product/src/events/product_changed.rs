//! `ProductChanged`: published by this service whenever a product is created, updated or
//! deleted (`db::products` emits it in the same transaction).
//!
//! Consumers rely on its contract, `events/product-changed.v1.json`: change the fields only by
//! adding a new event (`ProductChangedV2`), never in place.

use serde::{Deserialize, Serialize};
use sqlx::{Postgres, Transaction};
use uuid::Uuid;

use super::envelope::Change;
use super::outbox;
use super::outbox::Event;
use crate::domain::product::Product;

/// The event's `data`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProductChanged {
    /// The product's id (also the CloudEvents `subject`).
    pub id: Uuid,
    /// The product's version after the change; consumers keep the newest.
    pub version: i64,
    pub change: Change,
    pub name: String,
    pub description: String,
    pub price_cents: i64,
    pub stock: i32,
    pub category: String,
}

impl Event for ProductChanged {
    const EVENT_TYPE: &'static str = "product.product_changed.v1";
    const AGGREGATE_TYPE: &'static str = "product";

    fn aggregate_id(&self) -> String {
        self.id.to_string()
    }

    fn aggregate_version(&self) -> i64 {
        self.version
    }
}

impl ProductChanged {
    /// The event for `change`, from the product as the change left it (for a deletion: as it was).
    pub fn new(product: &Product, change: Change) -> Self {
        Self {
            id: product.id,
            // A deletion comes after the last update, so it gets the next version.
            version: match change {
                Change::Deleted => product.version + 1,
                Change::Created | Change::Updated => product.version,
            },
            change,
            name: product.name.clone(),
            description: product.description.clone().unwrap_or_default(),
            price_cents: product.price_cents,
            stock: product.stock,
            category: product.category.clone(),
        }
    }
}

/// Records the event in `tx`'s outbox: it is published if and only if `tx` commits.
pub async fn emit(
    tx: &mut Transaction<'_, Postgres>,
    product: &Product,
    change: Change,
) -> Result<(), outbox::EnqueueError> {
    outbox::enqueue(tx, &ProductChanged::new(product, change))
        .await
        .map(drop)
}
