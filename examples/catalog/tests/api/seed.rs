//! Products for the listing tests, put in the way production puts them: as `ProductChanged`
//! events applied by the event's handler (`Consume::apply`), so the tests also pin what the
//! handler stores for the listing to read.

use chrono::{DateTime, TimeZone, Utc};
use uuid::Uuid;

use catalog::events::consumer::{Consume, Outcome};
use catalog::events::envelope::{Change, CloudEvent};
use catalog::events::product_changed::ProductChanged;

use crate::helpers::TestApp;

/// When the seeded events say their change happened, unless a test picks another time.
pub fn event_time() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 1, 12, 0, 0)
        .single()
        .expect("a valid time")
}

/// A new product as `product` announces it: version 1, `created`.
pub fn product(name: &str, category: &str, stock: i32) -> ProductChanged {
    ProductChanged {
        id: Uuid::new_v4(),
        version: 1,
        change: Change::Created,
        name: name.to_owned(),
        description: format!("All about the {name}"),
        price_cents: 1999,
        stock,
        category: category.to_owned(),
    }
}

/// The next version of `product`, changed by `change` (`updated` unless it sets otherwise).
pub fn next(product: &ProductChanged, change: impl FnOnce(&mut ProductChanged)) -> ProductChanged {
    let mut next = ProductChanged {
        version: product.version + 1,
        change: Change::Updated,
        ..product.clone()
    };
    change(&mut next);
    next
}

/// The deletion of `product`, one version after it.
pub fn deletion(product: &ProductChanged) -> ProductChanged {
    next(product, |p| p.change = Change::Deleted)
}

/// `data` as product publishes it, changed at `time`.
pub fn event_at(data: &ProductChanged, time: DateTime<Utc>) -> CloudEvent<ProductChanged> {
    CloudEvent {
        specversion: "1.0".to_owned(),
        id: Uuid::new_v4().to_string(),
        source: ProductChanged::PRODUCER.to_owned(),
        event_type: ProductChanged::EVENT_TYPE.to_owned(),
        subject: Some(data.id.to_string()),
        time,
        datacontenttype: "application/json".to_owned(),
        data: data.clone(),
    }
}

pub fn event(data: &ProductChanged) -> CloudEvent<ProductChanged> {
    event_at(data, event_time())
}

/// Applies one event the way the consumer does, in a transaction of its own.
pub async fn deliver_at(app: &TestApp, data: &ProductChanged, time: DateTime<Utc>) -> Outcome {
    let mut tx = app.state.db.begin().await.expect("begin");
    let outcome = ProductChanged::apply(&mut tx, &event_at(data, time))
        .await
        .expect("the handler applies the event");
    tx.commit().await.expect("commit");
    outcome
}

pub async fn deliver(app: &TestApp, data: &ProductChanged) -> Outcome {
    deliver_at(app, data, event_time()).await
}

pub async fn deliver_all(app: &TestApp, events: &[ProductChanged]) {
    for event in events {
        assert_eq!(deliver(app, event).await, Outcome::Applied, "{event:?}");
    }
}
