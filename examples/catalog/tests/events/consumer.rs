use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use futures_util::StreamExt;
use serde::{Deserialize, Serialize};
use serde_json::json;
use sqlx::{Postgres, Transaction};
use tokio::sync::watch;
use tokio::task::JoinHandle;
use uuid::Uuid;

use catalog::events::consumer::{
    self, Consume, DEAD_LETTER_ERROR_HEADER, HandlerError, Outcome, Settings,
};
use catalog::events::envelope::CloudEvent;
use catalog::events::nats;

use crate::support::{TestBroker, TestDb, broker, fresh_database, wait_for};

const SERVICE: &str = "catalog";
const PRODUCER: &str = "probe-producer";

/// An event only these tests consume; `behaviour` says how its handler fails.
#[derive(Debug, Serialize, Deserialize)]
struct Probe {
    behaviour: String,
}

/// Deliveries seen per event id, for the handler that fails a few times first.
static DELIVERIES: Mutex<Option<HashMap<String, u32>>> = Mutex::new(None);

impl Consume for Probe {
    const PRODUCER: &'static str = PRODUCER;
    const EVENT_TYPE: &'static str = "probe-producer.probe.v1";
    const NAME: &'static str = "probe";

    async fn apply(
        _tx: &mut Transaction<'_, Postgres>,
        event: &CloudEvent<Self>,
    ) -> Result<Outcome, HandlerError> {
        let seen = {
            let mut deliveries = DELIVERIES.lock().expect("not poisoned");
            let count = deliveries
                .get_or_insert_with(HashMap::new)
                .entry(event.id.clone())
                .or_default();
            *count += 1;
            *count
        };
        match event.data.behaviour.as_str() {
            "permanent" => Err(HandlerError::Permanent("the probe refuses".into())),
            "transient" => Err(HandlerError::Transient("the probe is not ready".into())),
            "transient-twice" if seen <= 2 => Err(HandlerError::Transient("not yet".into())),
            _ => Ok(Outcome::Applied),
        }
    }
}

fn consumer_settings(broker: &TestBroker, max_deliver: i64) -> Settings {
    let mut settings = Settings::new(&broker.config);
    settings.concurrency = 1;
    settings.max_deliver = max_deliver;
    settings
}

fn start(
    db: &TestDb,
    broker: &TestBroker,
    settings: Settings,
) -> (watch::Sender<bool>, JoinHandle<()>) {
    let (stop, stopped) = watch::channel(false);
    let task = tokio::spawn(consumer::run::<Probe>(
        db.pool.clone(),
        broker.jetstream.clone(),
        settings,
        stopped,
    ));
    (stop, task)
}

async fn publish(broker: &TestBroker, payload: Vec<u8>) {
    nats::ensure_stream(&broker.jetstream, &broker.naming(), PRODUCER)
        .await
        .expect("create the producer's stream");
    broker
        .jetstream
        .publish(broker.naming().subject(Probe::EVENT_TYPE), payload.into())
        .await
        .expect("publish")
        .await
        .expect("stored");
}

fn probe_event(behaviour: &str) -> (String, Vec<u8>) {
    let id = Uuid::new_v4().to_string();
    let event = json!({
        "specversion": "1.0",
        "id": id,
        "source": PRODUCER,
        "type": Probe::EVENT_TYPE,
        "time": "2026-01-01T00:00:00Z",
        "datacontenttype": "application/json",
        "data": {"behaviour": behaviour},
    });
    (id, serde_json::to_vec(&event).expect("JSON"))
}

/// Pulls `count` stored messages by hand, to give them to the consumer as one batch.
async fn pull(broker: &TestBroker, count: usize) -> Vec<async_nats::jetstream::Message> {
    let stream = broker
        .jetstream
        .get_stream(broker.naming().stream(PRODUCER))
        .await
        .expect("the producer's stream");
    let puller = stream
        .create_consumer(async_nats::jetstream::consumer::pull::Config::default())
        .await
        .expect("a consumer");
    let mut fetched = puller
        .fetch()
        .max_messages(count)
        .messages()
        .await
        .expect("fetch");
    let mut messages = Vec::new();
    while let Some(message) = fetched.next().await {
        messages.push(message.expect("a message"));
    }
    assert_eq!(messages.len(), count);
    messages
}

async fn handled(db: &TestDb, id: &str) -> bool {
    sqlx::query_scalar("select exists (select 1 from inbox where event_id = $1)")
        .bind(id)
        .fetch_one(&db.pool)
        .await
        .expect("query the inbox")
}

async fn dead_letters(broker: &TestBroker) -> Vec<async_nats::jetstream::message::StreamMessage> {
    match broker
        .jetstream
        .get_stream(broker.naming().stream(SERVICE))
        .await
    {
        Ok(_) => broker.messages(SERVICE).await,
        Err(_) => Vec::new(),
    }
}

async fn stop(stop: watch::Sender<bool>, task: JoinHandle<()>) {
    stop.send(true).expect("the consumer listens");
    tokio::time::timeout(Duration::from_secs(10), task)
        .await
        .expect("the consumer stops promptly")
        .expect("the consumer did not panic");
}

#[tokio::test]
async fn an_undecodable_message_goes_to_the_dead_letters_and_the_next_one_is_handled() {
    let (db, broker) = (fresh_database().await, broker().await);
    publish(&broker, b"{not json".to_vec()).await;
    let (id, ok) = probe_event("ok");
    publish(&broker, ok).await;
    let (stop_tx, task) = start(&db, &broker, consumer_settings(&broker, 5));

    wait_for("the good event", || async {
        handled(&db, &id).await.then_some(())
    })
    .await;
    let letters = wait_for("a dead letter", || async {
        let letters = dead_letters(&broker).await;
        (!letters.is_empty()).then_some(letters)
    })
    .await;
    assert_eq!(letters.len(), 1);
    let letter = &letters[0];
    assert_eq!(
        letter.subject.as_str(),
        broker.naming().dead_letter_subject(SERVICE, Probe::NAME)
    );
    assert_eq!(letter.payload.as_ref(), b"{not json");
    let reason = letter
        .headers
        .get(DEAD_LETTER_ERROR_HEADER)
        .map(|v| v.as_str().to_owned())
        .unwrap_or_default();
    assert!(reason.contains("not a valid"), "reason: {reason}");
    stop(stop_tx, task).await;
}

#[tokio::test]
async fn a_permanent_failure_is_dead_lettered_and_rolled_back() {
    let (db, broker) = (fresh_database().await, broker().await);
    let (id, event) = probe_event("permanent");
    publish(&broker, event).await;
    let (stop_tx, task) = start(&db, &broker, consumer_settings(&broker, 5));

    wait_for("a dead letter", || async {
        (!dead_letters(&broker).await.is_empty()).then_some(())
    })
    .await;
    assert!(
        !handled(&db, &id).await,
        "the inbox row rolled back with the handler"
    );
    stop(stop_tx, task).await;
}

#[tokio::test]
async fn a_transient_failure_is_retried_until_it_works() {
    let (db, broker) = (fresh_database().await, broker().await);
    let (id, event) = probe_event("transient-twice");
    publish(&broker, event).await;
    let (stop_tx, task) = start(&db, &broker, consumer_settings(&broker, 5));

    wait_for("the third delivery to succeed", || async {
        handled(&db, &id).await.then_some(())
    })
    .await;
    let deliveries = DELIVERIES
        .lock()
        .expect("not poisoned")
        .as_ref()
        .and_then(|seen| seen.get(&id).copied());
    assert_eq!(deliveries, Some(3));
    assert!(dead_letters(&broker).await.is_empty());
    stop(stop_tx, task).await;
}

#[tokio::test]
async fn a_message_failing_on_its_last_delivery_is_dead_lettered() {
    let (db, broker) = (fresh_database().await, broker().await);
    let (id, event) = probe_event("transient");
    publish(&broker, event).await;
    let (stop_tx, task) = start(&db, &broker, consumer_settings(&broker, 2));

    let letters = wait_for("a dead letter", || async {
        let letters = dead_letters(&broker).await;
        (!letters.is_empty()).then_some(letters)
    })
    .await;
    let deliveries = letters[0]
        .headers
        .get(consumer::DEAD_LETTER_DELIVERIES_HEADER)
        .map(|v| v.as_str().to_owned());
    assert_eq!(deliveries.as_deref(), Some("2"));
    assert!(!handled(&db, &id).await);
    stop(stop_tx, task).await;
}

#[tokio::test]
async fn a_failing_message_fails_alone_and_the_rest_of_its_batch_is_applied() {
    let (db, broker) = (fresh_database().await, broker().await);
    let (first, ok) = probe_event("ok");
    let (poison, bad) = probe_event("permanent");
    let (last, also_ok) = probe_event("ok");
    for payload in [ok, bad, also_ok] {
        publish(&broker, payload).await;
    }
    // Where the dead letters go (`consumer::run` makes it).
    nats::ensure_stream(&broker.jetstream, &broker.naming(), SERVICE)
        .await
        .expect("create this service's stream");

    let batch = pull(&broker, 3).await;
    consumer::handle_batch::<Probe>(
        &db.pool,
        &broker.jetstream,
        &consumer_settings(&broker, 5),
        batch,
    )
    .await;
    assert!(handled(&db, &first).await);
    assert!(handled(&db, &last).await);
    assert!(!handled(&db, &poison).await);
    let letters = dead_letters(&broker).await;
    assert_eq!(letters.len(), 1);
    let payload: serde_json::Value = serde_json::from_slice(&letters[0].payload).expect("JSON");
    assert_eq!(payload["id"], poison.as_str());
}

#[tokio::test]
async fn a_message_holding_a_nul_character_is_dead_lettered_once_and_the_next_one_is_handled() {
    // PostgreSQL cannot store U+0000: retrying such a message would fail for ever.
    let (db, broker) = (fresh_database().await, broker().await);
    let (poison, bad) = probe_event("a\u{0}b");
    publish(&broker, bad).await;
    let (id, ok) = probe_event("ok");
    publish(&broker, ok).await;
    let (stop_tx, task) = start(&db, &broker, consumer_settings(&broker, 5));

    wait_for("the good event", || async {
        handled(&db, &id).await.then_some(())
    })
    .await;
    let letters = wait_for("a dead letter", || async {
        let letters = dead_letters(&broker).await;
        (!letters.is_empty()).then_some(letters)
    })
    .await;
    assert_eq!(letters.len(), 1);
    let reason = letters[0]
        .headers
        .get(DEAD_LETTER_ERROR_HEADER)
        .map(|v| v.as_str().to_owned())
        .unwrap_or_default();
    assert!(reason.contains("data.behaviour"), "reason: {reason}");
    let deliveries = letters[0]
        .headers
        .get(consumer::DEAD_LETTER_DELIVERIES_HEADER)
        .map(|v| v.as_str().to_owned());
    assert_eq!(
        deliveries.as_deref(),
        Some("1"),
        "refused at once, not retried"
    );
    assert!(!handled(&db, &poison).await);
    stop(stop_tx, task).await;
}
