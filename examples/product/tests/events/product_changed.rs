use std::time::Duration;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use serde_json::{Value, json};
use tower::ServiceExt;
use uuid::Uuid;

use product::config::HttpConfig;
use product::events::envelope::{Change, CloudEvent};
use product::events::nats;
use product::events::outbox::Event;
use product::events::relay::{self, Settings};
use product::{AppState, build_app};

// The event under test.
use product::events::product_changed::ProductChanged as Published;

use crate::support::{broker, fresh_database};

const SERVICE: &str = "product";
/// What consumers rely on.
const CONTRACT: &str = include_str!("../../events/product-changed.v1.json");
const COLLECTION: &str = "/v1/products";
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
        Some(json!({
            "name": "lamp",
            "description": "bright",
            "price_cents": 3990,
            "stock": 24,
            "category": "Lighting",
        })),
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
        Some(json!({
            "name": "lamp",
            "price_cents": 1,
            "stock": 1,
            "category": "lighting",
            "version": 7,
        })),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT);
    let (status, _) = send(
        &app,
        "PUT",
        &uri,
        Some(json!({
            "name": "desk lamp",
            "price_cents": 4590,
            "stock": 0,
            "category": "office",
            "version": 1,
        })),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = send(&app, "DELETE", &uri, None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);

    nats::ensure_stream(&broker.jetstream, &broker.naming(), SERVICE)
        .await
        .expect("create the stream");
    let round = relay::relay_once(&db.pool, &broker.jetstream, &Settings::new(&broker.config))
        .await
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
    // The product's fields as each change left them; a deletion carries them as they were.
    let fields: Vec<(&str, &str, i64, i32, &str)> = events
        .iter()
        .map(|e| {
            (
                e.data.name.as_str(),
                e.data.description.as_str(),
                e.data.price_cents,
                e.data.stock,
                e.data.category.as_str(),
            )
        })
        .collect();
    assert_eq!(
        fields,
        [
            ("lamp", "bright", 3990, 24, "lighting"),
            ("desk lamp", "", 4590, 0, "office"),
            ("desk lamp", "", 4590, 0, "office"),
        ]
    );
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
        name: "example".to_owned(),
        description: "a longer example text".to_owned(),
        price_cents: 42,
        stock: 7,
        category: "example".to_owned(),
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
