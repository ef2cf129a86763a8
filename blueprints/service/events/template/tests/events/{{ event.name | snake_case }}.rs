{%- set broker = broker | default(value="nats") -%}
{%- set E = event.name -%}
{%- set e = event.name | snake_case -%}
{%- set r = resource | snake_case -%}
{%- set bound = event.role == "producer" and example_resource and event.aggregate == r -%}
{%- if event.role == "producer" and bound -%}
{%- set rs_url = resource_plural | kebab_case -%}
use std::time::Duration;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use serde_json::{Value, json};
use tower::ServiceExt;
use uuid::Uuid;

use {{ name | snake_case }}::config::HttpConfig;
use {{ name | snake_case }}::events::envelope::{Change, CloudEvent};
{% if broker != "kafka" %}use {{ name | snake_case }}::events::nats;
{% endif %}use {{ name | snake_case }}::events::outbox::Event;
use {{ name | snake_case }}::events::relay::{self, Settings};
use {{ name | snake_case }}::{AppState, build_app};

// The event under test.
use {{ name | snake_case }}::events::{{ e }}::{{ E }} as Published;

use crate::support::{broker, fresh_database};

const SERVICE: &str = "{{ name }}";
/// What consumers rely on.
const CONTRACT: &str = include_str!("../../events/{{ E | kebab_case }}.v1.json");
const COLLECTION: &str = "/v1/{{ rs_url }}";
const REQUEST_ID: &str = "req-42";
const TRACEPARENT: &str = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

async fn send(
    app: &axum::Router,
    method: &str,
    uri: &str,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let request = Request::builder()
        .method(method)
        .uri(uri)
        .header("content-type", "application/json")
        .header("x-request-id", REQUEST_ID)
        .header("traceparent", TRACEPARENT)
        .body(body.map_or_else(Body::empty, |b| Body::from(b.to_string())))
        .expect("valid request");
    let response = app.clone().oneshot(request).await.expect("infallible");
    let status = response.status();
    let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .expect("body");
    (
        status,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    )
}

#[tokio::test]
async fn create_update_and_delete_each_publish_one_event_with_a_newer_version() {
    let (db, broker) = (fresh_database().await, broker().await);
    let config = HttpConfig {
        addr: "127.0.0.1:0".parse().expect("valid address"),
        request_timeout: Duration::from_secs(10),
        body_limit_bytes: 16 * 1024,
        shutdown_drain: Duration::from_millis(100),
    };
    let app = build_app(AppState::new(db.pool.clone()), &config);

    let (status, created) = send(
        &app,
        "POST",
        COLLECTION,
        Some(json!({"name": "lamp", "description": "bright"})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);
    let id = created["id"].as_str().expect("an id").to_owned();
    let uri = format!("{COLLECTION}/{id}");
    // A rejected write emits nothing.
    let (status, _) = send(
        &app,
        "PUT",
        &uri,
        Some(json!({"name": "lamp", "version": 7})),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT);
    let (status, _) = send(
        &app,
        "PUT",
        &uri,
        Some(json!({"name": "desk lamp", "version": 1})),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = send(&app, "DELETE", &uri, None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);

{% if broker == "kafka" %}    let round = relay::relay_once(&db.pool, &broker.broker, &Settings::new(&broker.config))
{% else %}    nats::ensure_stream(&broker.jetstream, &broker.naming(), SERVICE)
        .await
        .expect("create the stream");
    let round = relay::relay_once(&db.pool, &broker.jetstream, &Settings::new(&broker.config))
{% endif %}        .await
        .expect("relay");
    assert_eq!(round.published, 3);

    let messages = broker.messages(SERVICE).await;
    let events: Vec<CloudEvent<Published>> = messages
        .iter()
        .map(|m| serde_json::from_slice(&m.payload).expect("the event"))
        .collect();
    let changes: Vec<(Change, i64)> = events
        .iter()
        .map(|e| (e.data.change, e.data.version))
        .collect();
    assert_eq!(
        changes,
        [
            (Change::Created, 1),
            (Change::Updated, 2),
            (Change::Deleted, 3)
        ]
    );
    for (event, message) in events.iter().zip(&messages) {
        assert_eq!(event.event_type, Published::EVENT_TYPE);
        assert_eq!(event.subject.as_deref(), Some(id.as_str()));
        assert_eq!(event.data.id.to_string(), id);
        let header = |name: &str| message.headers.get(name).map(|v| v.as_str().to_owned());
        assert_eq!(header("x-request-id").as_deref(), Some(REQUEST_ID));
        assert_eq!(header("traceparent").as_deref(), Some(TRACEPARENT));
    }
{%- for field in event.fields %}
{%- if field.name == "name" and field.rust == "String" %}
    assert_eq!(events[0].data.name, "lamp");
    assert_eq!(events[1].data.name, "desk lamp");
{%- elif field.name == "description" and field.rust == "String" %}
    assert_eq!(events[0].data.description, "bright");
    assert_eq!(events[1].data.description, "");
{%- endif %}
{%- endfor %}
}

#[test]
fn the_contract_describes_the_event_as_published() {
    let contract: Value = serde_json::from_str(CONTRACT).expect("the contract is JSON");
    assert_eq!(
        contract["properties"]["type"]["const"],
        Published::EVENT_TYPE
    );
    let event = Published {
        id: Uuid::new_v4(),
        version: 1,
        change: Change::Created,
{%- for field in event.fields %}
        {{ field.name }}: {{ field.example }},
{%- endfor %}
    };
    let data = serde_json::to_value(&event).expect("JSON");
    let mut published: Vec<&str> = data
        .as_object()
        .expect("an object")
        .keys()
        .map(String::as_str)
        .collect();
    let mut required: Vec<&str> = contract["properties"]["data"]["required"]
        .as_array()
        .expect("a list")
        .iter()
        .map(|name| name.as_str().expect("a name"))
        .collect();
    published.sort_unstable();
    required.sort_unstable();
    assert_eq!(published, required);
}
{%- elif event.role == "producer" -%}
use serde_json::Value;
use uuid::Uuid;

use {{ name | snake_case }}::events::envelope::{Change, CloudEvent};
{% if broker != "kafka" %}use {{ name | snake_case }}::events::nats;
{% endif %}use {{ name | snake_case }}::events::outbox::{self, Event};
use {{ name | snake_case }}::events::relay::{self, Settings};

// The event under test.
use {{ name | snake_case }}::events::{{ e }}::{{ E }} as Published;

use crate::support::{broker, fresh_database};

const SERVICE: &str = "{{ name }}";
/// What consumers rely on.
const CONTRACT: &str = include_str!("../../events/{{ E | kebab_case }}.v1.json");

#[tokio::test]
async fn an_enqueued_event_is_published_as_it_was() {
    let (db, broker) = (fresh_database().await, broker().await);
    let event = Published {
        id: Uuid::new_v4(),
        version: 1,
        change: Change::Created,
{%- for field in event.fields %}
        {{ field.name }}: {{ field.example }},
{%- endfor %}
    };
    let mut tx = db.pool.begin().await.expect("begin");
    outbox::enqueue(&mut tx, &event).await.expect("enqueue");
    tx.commit().await.expect("commit");

{% if broker == "kafka" %}    relay::relay_once(&db.pool, &broker.broker, &Settings::new(&broker.config))
{% else %}    nats::ensure_stream(&broker.jetstream, &broker.naming(), SERVICE)
        .await
        .expect("create the stream");
    relay::relay_once(&db.pool, &broker.jetstream, &Settings::new(&broker.config))
{% endif %}        .await
        .expect("relay");
    let messages = broker.messages(SERVICE).await;
    assert_eq!(messages.len(), 1);
    let published: CloudEvent<Published> =
        serde_json::from_slice(&messages[0].payload).expect("the event");
    assert_eq!(published.event_type, Published::EVENT_TYPE);
    assert_eq!(published.data, event);
}

#[test]
fn the_contract_describes_the_event_as_published() {
    let contract: Value = serde_json::from_str(CONTRACT).expect("the contract is JSON");
    assert_eq!(
        contract["properties"]["type"]["const"],
        Published::EVENT_TYPE
    );
    let event = Published {
        id: Uuid::new_v4(),
        version: 1,
        change: Change::Created,
{%- for field in event.fields %}
        {{ field.name }}: {{ field.example }},
{%- endfor %}
    };
    let data = serde_json::to_value(&event).expect("JSON");
    let mut published: Vec<&str> = data
        .as_object()
        .expect("an object")
        .keys()
        .map(String::as_str)
        .collect();
    let mut required: Vec<&str> = contract["properties"]["data"]["required"]
        .as_array()
        .expect("a list")
        .iter()
        .map(|name| name.as_str().expect("a name"))
        .collect();
    published.sort_unstable();
    required.sort_unstable();
    assert_eq!(published, required);
}
{%- else -%}
use std::time::Duration;

use serde_json::{Value, json};
use sqlx::PgPool;
use tokio::sync::watch;
use uuid::Uuid;

use {{ name | snake_case }}::events::consumer::{self, Consume, Outcome, Settings};
use {{ name | snake_case }}::events::envelope::CloudEvent;
{% if broker != "kafka" %}use {{ name | snake_case }}::events::nats;
{% endif %}
// The event under test.
use {{ name | snake_case }}::events::{{ e }}::{{ E }} as Consumed;

use crate::support::{TestBroker, broker, fresh_database, wait_for};

/// The event as {{ event.from }} publishes it.
fn event(id: Uuid, aggregate: Uuid, version: i64, change: &str) -> Value {
    json!({
        "specversion": "1.0",
        "id": id.to_string(),
        "source": "{{ event.from }}",
        "type": Consumed::EVENT_TYPE,
        "subject": aggregate.to_string(),
        "time": "2026-01-01T00:00:00Z",
        "datacontenttype": "application/json",
        "data": {
            "id": aggregate.to_string(),
            "version": version,
            "change": change,
{%- for field in event.fields %}
            "{{ field.name }}": serde_json::to_value({{ field.example }}).expect("JSON"),
{%- endfor %}
        },
    })
}

fn decoded(event: Value) -> CloudEvent<Consumed> {
    serde_json::from_value(event).expect("a valid event")
}

async fn publish(broker: &TestBroker, event: &Value) {
{% if broker == "kafka" %}    let key = event["subject"].as_str().unwrap_or_default();
    let topic = broker.naming().topic(Consumed::EVENT_TYPE);
{% endif %}    broker
{% if broker == "kafka" %}        .publish(&topic, key, event.to_string().as_bytes())
        .await;
{% else %}        .jetstream
        .publish(
            broker.naming().subject(Consumed::EVENT_TYPE),
            event.to_string().into(),
        )
        .await
        .expect("publish")
        .await
        .expect("stored");
{% endif %}}

/// The copy's version and deleted mark, once it exists.
async fn copy(pool: &PgPool, aggregate: Uuid) -> Option<(i64, bool)> {
{%- set copy_table = event.aggregate ~ "_copy" %}
{%- set quoted_table = copy_table | sql_ident %}
{%- set select = 'r#"select version, deleted from ' ~ quoted_table ~ ' where id = $1"#' %}
{%- if select | length + 19 > 100 %}
    sqlx::query_as(
        {{ select }},
    )
{%- else %}
    sqlx::query_as({{ select }})
{%- endif %}
        .bind(aggregate)
        .fetch_optional(pool)
        .await
        .expect("query the copy")
}

/// Publishes `events` in order, then a last event for another aggregate, and waits until that
{% if broker == "kafka" %}/// one is applied: read in order from the topic's one partition, everything before it has been
/// handled.
{% else %}/// one is applied: with one message at a time, everything before it has been handled.
{% endif %}async fn consume_in_order(pool: &PgPool, broker: &TestBroker, events: &[Value]) {
{% if broker != "kafka" %}    nats::ensure_stream(&broker.jetstream, &broker.naming(), Consumed::PRODUCER)
        .await
        .expect("create the producer's stream");
{% endif %}    for event in events {
        publish(broker, event).await;
    }
    let sentinel = Uuid::new_v4();
    publish(broker, &event(Uuid::new_v4(), sentinel, 1, "created")).await;

{% if broker == "kafka" %}    let settings = Settings::new(&broker.config);
{% else %}    let mut settings = Settings::new(&broker.config);
    settings.concurrency = 1;
{% endif %}    let (stop, stopped) = watch::channel(false);
    let task = tokio::spawn(consumer::run::<Consumed>(
        pool.clone(),
{% if broker == "kafka" %}        broker.broker.clone(),
{% else %}        broker.jetstream.clone(),
{% endif %}        settings,
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
{%- endif %}
