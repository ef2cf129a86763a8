use std::time::Duration;

use serde::Serialize;
use serde_json::Value;
use sqlx::PgPool;
use tokio::sync::watch;
use uuid::Uuid;

use axum::http::StatusCode;
use axum::response::IntoResponse;

use product::events::nats;
use product::events::outbox::{self, EnqueueError, Event};
use product::events::relay::{self, Round, Settings};
use product::http::error::ApiError;

use crate::support::{TestBroker, broker, fresh_database, wait_for};

const SERVICE: &str = "product";

/// An event only these tests emit, so they do not depend on the service's own events.
#[derive(Debug, Serialize)]
struct Probe {
    id: Uuid,
    version: i64,
}

impl Event for Probe {
    const EVENT_TYPE: &'static str = "product.probe.v1";
    const AGGREGATE_TYPE: &'static str = "probe";

    fn aggregate_id(&self) -> String {
        self.id.to_string()
    }

    fn aggregate_version(&self) -> i64 {
        self.version
    }
}

/// An event with text in its data, for what the outbox cannot store.
#[derive(Debug, Serialize)]
struct Labelled {
    id: Uuid,
    version: i64,
    label: String,
    details: Value,
}

impl Event for Labelled {
    const EVENT_TYPE: &'static str = "product.labelled.v1";
    const AGGREGATE_TYPE: &'static str = "labelled";

    fn aggregate_id(&self) -> String {
        self.id.to_string()
    }

    fn aggregate_version(&self) -> i64 {
        self.version
    }
}

async fn emit(pool: &PgPool, probe: &Probe) -> Uuid {
    let mut tx = pool.begin().await.expect("begin");
    let id = outbox::enqueue(&mut tx, probe).await.expect("enqueue");
    tx.commit().await.expect("commit");
    id
}

fn settings(broker: &TestBroker) -> Settings {
    Settings::new(&broker.config)
}

async fn ready(broker: &TestBroker) {
    nats::ensure_stream(&broker.jetstream, &broker.naming(), SERVICE)
        .await
        .expect("create the stream");
}

async fn unpublished(pool: &PgPool) -> i64 {
    sqlx::query_scalar("select count(*) from outbox where published_at is null")
        .fetch_one(pool)
        .await
        .expect("count unpublished rows")
}

#[tokio::test]
async fn an_event_in_a_rolled_back_transaction_does_not_exist() {
    let (db, broker) = (fresh_database().await, broker().await);
    ready(&broker).await;

    let mut tx = db.pool.begin().await.expect("begin");
    let probe = Probe {
        id: Uuid::new_v4(),
        version: 1,
    };
    outbox::enqueue(&mut tx, &probe).await.expect("enqueue");
    tx.rollback().await.expect("rollback");

    let rows: i64 = sqlx::query_scalar("select count(*) from outbox")
        .fetch_one(&db.pool)
        .await
        .expect("count");
    assert_eq!(rows, 0);
    let round = relay::relay_once(&db.pool, &broker.jetstream, &settings(&broker))
        .await
        .expect("relay");
    assert_eq!(round, Round::default());
    assert!(broker.messages(SERVICE).await.is_empty());
}

#[tokio::test]
async fn a_committed_event_is_published_exactly_once_as_a_cloudevent() {
    let (db, broker) = (fresh_database().await, broker().await);
    ready(&broker).await;
    let probe = Probe {
        id: Uuid::new_v4(),
        version: 1,
    };
    let id = emit(&db.pool, &probe).await;

    let settings = settings(&broker);
    let round = relay::relay_once(&db.pool, &broker.jetstream, &settings)
        .await
        .expect("relay");
    assert_eq!((round.claimed, round.published, round.failed), (1, 1, 0));
    let again = relay::relay_once(&db.pool, &broker.jetstream, &settings)
        .await
        .expect("relay");
    assert_eq!(again, Round::default(), "a published row is not sent again");

    let messages = broker.messages(SERVICE).await;
    assert_eq!(messages.len(), 1);
    let message = &messages[0];
    assert_eq!(
        message.subject.as_str(),
        broker.naming().subject(Probe::EVENT_TYPE)
    );
    let msg_id = message
        .headers
        .get("Nats-Msg-Id")
        .map(|v| v.as_str().to_owned());
    assert_eq!(msg_id, Some(id.to_string()));
    let envelope: Value = serde_json::from_slice(&message.payload).expect("JSON");
    assert_eq!(envelope["specversion"], "1.0");
    assert_eq!(envelope["id"], id.to_string());
    assert_eq!(envelope["source"], SERVICE);
    assert_eq!(envelope["type"], Probe::EVENT_TYPE);
    assert_eq!(envelope["subject"], probe.id.to_string());
    assert_eq!(envelope["datacontenttype"], "application/json");
    assert!(envelope["time"].is_string());
    assert_eq!(envelope["data"]["id"], probe.id.to_string());
    assert_eq!(envelope["data"]["version"], 1);
    assert_eq!(unpublished(&db.pool).await, 0);
}

#[tokio::test]
async fn publishing_a_row_again_stores_it_once() {
    let (db, broker) = (fresh_database().await, broker().await);
    ready(&broker).await;
    let id = emit(
        &db.pool,
        &Probe {
            id: Uuid::new_v4(),
            version: 1,
        },
    )
    .await;
    let settings = settings(&broker);
    relay::relay_once(&db.pool, &broker.jetstream, &settings)
        .await
        .expect("relay");

    // As if the relay had crashed after the ack, before marking the row.
    sqlx::query("update outbox set published_at = null where id = $1")
        .bind(id)
        .execute(&db.pool)
        .await
        .expect("unmark");
    let round = relay::relay_once(&db.pool, &broker.jetstream, &settings)
        .await
        .expect("relay");
    assert_eq!(round.published, 1);
    assert_eq!(
        broker.messages(SERVICE).await.len(),
        1,
        "deduplicated by Nats-Msg-Id"
    );
}

#[tokio::test]
async fn a_failed_publish_is_kept_and_retried_later() {
    let (db, broker) = (fresh_database().await, broker().await);
    // No stream yet: JetStream does not answer the publish.
    let id = emit(
        &db.pool,
        &Probe {
            id: Uuid::new_v4(),
            version: 1,
        },
    )
    .await;
    let settings = settings(&broker);
    let round = relay::relay_once(&db.pool, &broker.jetstream, &settings)
        .await
        .expect("relay");
    assert_eq!((round.published, round.failed), (0, 1));

    let (attempts, error, delayed): (i32, Option<String>, bool) = sqlx::query_as(
        "select attempts, last_error, next_attempt_at > now() from outbox where id = $1",
    )
    .bind(id)
    .fetch_one(&db.pool)
    .await
    .expect("the row is still there");
    assert_eq!(attempts, 1);
    assert!(error.is_some_and(|e| !e.is_empty()));
    assert!(delayed, "retried after a backoff");
    let early = relay::relay_once(&db.pool, &broker.jetstream, &settings)
        .await
        .expect("relay");
    assert_eq!(early, Round::default(), "not retried before it is due");

    ready(&broker).await;
    sqlx::query("update outbox set next_attempt_at = now()")
        .execute(&db.pool)
        .await
        .expect("make it due");
    let round = relay::relay_once(&db.pool, &broker.jetstream, &settings)
        .await
        .expect("relay");
    assert_eq!(round.published, 1);
    assert_eq!(broker.messages(SERVICE).await.len(), 1);
    assert_eq!(unpublished(&db.pool).await, 0);
}

#[tokio::test]
async fn events_of_an_aggregate_are_published_in_order_and_wait_for_a_retry() {
    let (db, broker) = (fresh_database().await, broker().await);
    ready(&broker).await;
    let (first, second) = (Uuid::new_v4(), Uuid::new_v4());
    for version in 1..=20 {
        emit(&db.pool, &Probe { id: first, version }).await;
        emit(
            &db.pool,
            &Probe {
                id: second,
                version,
            },
        )
        .await;
    }
    let mut settings = settings(&broker);
    settings.batch_size = 7;
    loop {
        let round = relay::relay_once(&db.pool, &broker.jetstream, &settings)
            .await
            .expect("relay");
        if round.claimed == 0 {
            break;
        }
    }
    let versions_of = |messages: &[async_nats::jetstream::message::StreamMessage], id: Uuid| {
        messages
            .iter()
            .map(|m| serde_json::from_slice::<Value>(&m.payload).expect("JSON"))
            .filter(|event| event["data"]["id"] == id.to_string())
            .map(|event| event["data"]["version"].as_i64().expect("a version"))
            .collect::<Vec<_>>()
    };
    let messages = broker.messages(SERVICE).await;
    assert_eq!(versions_of(&messages, first), (1..=20).collect::<Vec<_>>());
    assert_eq!(versions_of(&messages, second), (1..=20).collect::<Vec<_>>());

    // An event waiting for a retry holds back the later events of its aggregate only.
    let third = Uuid::new_v4();
    let waiting = emit(
        &db.pool,
        &Probe {
            id: third,
            version: 1,
        },
    )
    .await;
    emit(
        &db.pool,
        &Probe {
            id: third,
            version: 2,
        },
    )
    .await;
    let other = emit(
        &db.pool,
        &Probe {
            id: Uuid::new_v4(),
            version: 1,
        },
    )
    .await;
    sqlx::query("update outbox set next_attempt_at = now() + interval '1 hour' where id = $1")
        .bind(waiting)
        .execute(&db.pool)
        .await
        .expect("delay");
    let round = relay::relay_once(&db.pool, &broker.jetstream, &settings)
        .await
        .expect("relay");
    assert_eq!(round.published, 1);
    let published: Vec<Uuid> =
        sqlx::query_scalar("select id from outbox where published_at is not null and aggregate_id <> $1 and aggregate_id <> $2")
            .bind(first.to_string())
            .bind(second.to_string())
            .fetch_all(&db.pool)
            .await
            .expect("published");
    assert_eq!(published, [other]);
}

#[tokio::test]
async fn the_relay_task_wakes_on_commit_and_stops_when_asked() {
    let (db, broker) = (fresh_database().await, broker().await);
    let mut settings = settings(&broker);
    // Only a notification can wake it in time.
    settings.sweep_interval = Duration::from_secs(600);
    let (stop, stopped) = watch::channel(false);
    let task = tokio::spawn(relay::run(
        db.pool.clone(),
        broker.jetstream.clone(),
        settings,
        stopped,
    ));
    // Let it create the stream and start listening.
    wait_for("the stream", || async {
        broker
            .jetstream
            .get_stream(broker.naming().stream(SERVICE))
            .await
            .ok()
    })
    .await;
    tokio::time::sleep(Duration::from_millis(300)).await;

    emit(
        &db.pool,
        &Probe {
            id: Uuid::new_v4(),
            version: 1,
        },
    )
    .await;
    wait_for("the event to be published", || async {
        (unpublished(&db.pool).await == 0).then_some(())
    })
    .await;
    assert_eq!(broker.messages(SERVICE).await.len(), 1);

    stop.send(true).expect("the relay listens");
    tokio::time::timeout(Duration::from_secs(10), task)
        .await
        .expect("the relay stops promptly")
        .expect("the relay did not panic");
}

#[tokio::test]
async fn published_rows_are_purged_after_the_retention_and_unsent_ones_never() {
    let (db, broker) = (fresh_database().await, broker().await);
    ready(&broker).await;
    let old = emit(
        &db.pool,
        &Probe {
            id: Uuid::new_v4(),
            version: 1,
        },
    )
    .await;
    let recent = emit(
        &db.pool,
        &Probe {
            id: Uuid::new_v4(),
            version: 1,
        },
    )
    .await;
    relay::relay_once(&db.pool, &broker.jetstream, &settings(&broker))
        .await
        .expect("relay");
    let unsent = emit(
        &db.pool,
        &Probe {
            id: Uuid::new_v4(),
            version: 1,
        },
    )
    .await;
    sqlx::query(
        "update outbox set published_at = now() - interval '4 days', created_at = now() - interval '4 days' \
         where id = $1",
    )
    .bind(old)
    .execute(&db.pool)
    .await
    .expect("age the row");
    sqlx::query("update outbox set created_at = now() - interval '4 days' where id = $1")
        .bind(unsent)
        .execute(&db.pool)
        .await
        .expect("age the row");

    let purged = relay::purge(&db.pool, Duration::from_secs(72 * 3600))
        .await
        .expect("purge");
    assert_eq!(purged, 1);
    let left: Vec<Uuid> = sqlx::query_scalar("select id from outbox order by seq")
        .fetch_all(&db.pool)
        .await
        .expect("rows");
    assert_eq!(left, [recent, unsent]);
}

#[tokio::test]
async fn an_event_holding_a_nul_character_is_refused_naming_the_fields_and_answers_422() {
    // PostgreSQL's `jsonb` cannot store U+0000: without the check this is a database error.
    let db = fresh_database().await;
    let event = Labelled {
        id: Uuid::new_v4(),
        version: 1,
        label: "a\u{0}b".to_owned(),
        details: serde_json::json!({"colour": "re\u{0}d", "size": 3}),
    };
    let mut tx = db.pool.begin().await.expect("begin");
    let err = outbox::enqueue(&mut tx, &event)
        .await
        .expect_err("a NUL character is refused");
    let EnqueueError::Invalid { event_type, errors } = &err else {
        panic!("expected an invalid event, got {err:?}");
    };
    assert_eq!(*event_type, Labelled::EVENT_TYPE);
    let mut fields: Vec<&str> = errors.0.iter().map(|e| e.field.as_str()).collect();
    fields.sort_unstable();
    assert_eq!(fields, ["details.colour", "label"]);
    tx.commit().await.expect("the transaction is still usable");
    let rows: i64 = sqlx::query_scalar("select count(*) from outbox")
        .fetch_one(&db.pool)
        .await
        .expect("count");
    assert_eq!(rows, 0);

    let response = ApiError::from(err).into_response();
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body = axum::body::to_bytes(response.into_body(), 64 * 1024)
        .await
        .expect("body");
    let problem: Value = serde_json::from_slice(&body).expect("problem+json");
    let named: Vec<&str> = problem["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .filter_map(|e| e["field"].as_str())
        .collect();
    assert!(named.contains(&"label"), "{problem}");
}
