use std::time::Duration;

use serde_json::{Value, json};
use sqlx::PgPool;
use tokio::sync::watch;
use uuid::Uuid;

use catalog::events::consumer::{self, Consume, Outcome, Settings};
use catalog::events::envelope::CloudEvent;
use catalog::events::nats;

// The event under test.
use catalog::events::product_changed::ProductChanged as Consumed;

use crate::support::{TestBroker, broker, fresh_database, wait_for};

/// The event as product publishes it.
fn event(id: Uuid, aggregate: Uuid, version: i64, change: &str) -> Value {
    json!({
        "specversion": "1.0",
        "id": id.to_string(),
        "source": "product",
        "type": Consumed::EVENT_TYPE,
        "subject": aggregate.to_string(),
        "time": "2026-01-01T00:00:00Z",
        "datacontenttype": "application/json",
        "data": {
            "id": aggregate.to_string(),
            "version": version,
            "change": change,
            "name": serde_json::to_value("example".to_owned()).expect("JSON"),
            "description": serde_json::to_value("a longer example text".to_owned()).expect("JSON"),
            "price_cents": serde_json::to_value(42).expect("JSON"),
            "stock": serde_json::to_value(7).expect("JSON"),
            "category": serde_json::to_value("example".to_owned()).expect("JSON"),
        },
    })
}

fn decoded(event: Value) -> CloudEvent<Consumed> {
    serde_json::from_value(event).expect("a valid event")
}

async fn publish(broker: &TestBroker, event: &Value) {
    broker
        .jetstream
        .publish(
            broker.naming().subject(Consumed::EVENT_TYPE),
            event.to_string().into(),
        )
        .await
        .expect("publish")
        .await
        .expect("stored");
}

/// The copy's version and deleted mark, once it exists.
async fn copy(pool: &PgPool, aggregate: Uuid) -> Option<(i64, bool)> {
    sqlx::query_as(r#"select version, deleted from "product_copy" where id = $1"#)
        .bind(aggregate)
        .fetch_optional(pool)
        .await
        .expect("query the copy")
}

/// Publishes `events` in order, then a last event for another aggregate, and waits until that
/// one is applied: with one message at a time, everything before it has been handled.
async fn consume_in_order(pool: &PgPool, broker: &TestBroker, events: &[Value]) {
    nats::ensure_stream(&broker.jetstream, &broker.naming(), Consumed::PRODUCER)
        .await
        .expect("create the producer's stream");
    for event in events {
        publish(broker, event).await;
    }
    let sentinel = Uuid::new_v4();
    publish(broker, &event(Uuid::new_v4(), sentinel, 1, "created")).await;

    let mut settings = Settings::new(&broker.config);
    settings.concurrency = 1;
    let (stop, stopped) = watch::channel(false);
    let task = tokio::spawn(consumer::run::<Consumed>(
        pool.clone(),
        broker.jetstream.clone(),
        settings,
        stopped,
    ));
    wait_for("the last event to be applied", || copy(pool, sentinel)).await;
    stop.send(true).expect("the consumer listens");
    tokio::time::timeout(Duration::from_secs(10), task)
        .await
        .expect("the consumer stops promptly")
        .expect("the consumer did not panic");
}

#[tokio::test]
async fn an_event_is_applied_to_the_local_copy() {
    let (db, broker) = (fresh_database().await, broker().await);
    let aggregate = Uuid::new_v4();
    consume_in_order(
        &db.pool,
        &broker,
        &[event(Uuid::new_v4(), aggregate, 1, "created")],
    )
    .await;
    assert_eq!(copy(&db.pool, aggregate).await, Some((1, false)));
}

#[tokio::test]
async fn a_duplicate_delivery_has_one_effect() {
    let (db, broker) = (fresh_database().await, broker().await);
    let (aggregate, id) = (Uuid::new_v4(), Uuid::new_v4());
    // The same event id twice; the second copy even claims a newer version, and is skipped
    // because its id was handled.
    consume_in_order(
        &db.pool,
        &broker,
        &[
            event(id, aggregate, 1, "created"),
            event(id, aggregate, 2, "updated"),
        ],
    )
    .await;
    assert_eq!(copy(&db.pool, aggregate).await, Some((1, false)));
    let handled: i64 = sqlx::query_scalar("select count(*) from inbox where event_id = $1")
        .bind(id.to_string())
        .fetch_one(&db.pool)
        .await
        .expect("count");
    assert_eq!(handled, 1);
}

#[tokio::test]
async fn a_stale_version_is_ignored() {
    let (db, broker) = (fresh_database().await, broker().await);
    let aggregate = Uuid::new_v4();
    consume_in_order(
        &db.pool,
        &broker,
        &[
            event(Uuid::new_v4(), aggregate, 3, "updated"),
            event(Uuid::new_v4(), aggregate, 2, "updated"),
        ],
    )
    .await;
    assert_eq!(copy(&db.pool, aggregate).await, Some((3, false)));
}

#[tokio::test]
async fn a_deletion_marks_the_copy_and_an_older_event_does_not_revive_it() {
    let (db, broker) = (fresh_database().await, broker().await);
    let aggregate = Uuid::new_v4();
    consume_in_order(
        &db.pool,
        &broker,
        &[
            event(Uuid::new_v4(), aggregate, 1, "created"),
            event(Uuid::new_v4(), aggregate, 3, "deleted"),
            event(Uuid::new_v4(), aggregate, 2, "updated"),
        ],
    )
    .await;
    assert_eq!(copy(&db.pool, aggregate).await, Some((3, true)));
}

/// Messages that arrive together are handled in one transaction, with the guarantees of one at
/// a time: a repeated delivery (in the batch or of an earlier one) has no effect, and of several
/// versions of an aggregate only the newest is kept.
#[tokio::test]
async fn a_batch_skips_duplicates_and_keeps_the_newest_version() {
    let db = fresh_database().await;
    let (a, b) = (Uuid::new_v4(), Uuid::new_v4());
    let (earlier, created) = (Uuid::new_v4(), Uuid::new_v4());
    let first = consumer::apply(&db.pool, vec![decoded(event(earlier, b, 1, "created"))])
        .await
        .expect("the first batch");
    assert_eq!(first, [Outcome::Applied]);

    let outcomes = consumer::apply(
        &db.pool,
        vec![
            decoded(event(created, a, 1, "created")),
            decoded(event(Uuid::new_v4(), a, 3, "updated")),
            // Delivered twice in the same batch.
            decoded(event(created, a, 1, "created")),
            decoded(event(Uuid::new_v4(), a, 2, "updated")),
            // Handled by the first batch; skipped, whatever version it claims.
            decoded(event(earlier, b, 5, "updated")),
        ],
    )
    .await
    .expect("the second batch");
    assert_eq!(
        outcomes,
        [
            Outcome::Stale,
            Outcome::Applied,
            Outcome::Duplicate,
            Outcome::Stale,
            Outcome::Duplicate
        ]
    );
    assert_eq!(copy(&db.pool, a).await, Some((3, false)));
    assert_eq!(copy(&db.pool, b).await, Some((1, false)));
    let handled: i64 = sqlx::query_scalar("select count(*) from inbox")
        .fetch_one(&db.pool)
        .await
        .expect("count");
    assert_eq!(handled, 4, "each event id once");
}
