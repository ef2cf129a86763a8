//! Consuming events: one durable JetStream pull consumer per consumed event, each message
//! applied at most once, in a database transaction:
//!
//! 1. insert the event id into `inbox` (`on conflict do nothing`): already there means a
//!    duplicate delivery, which is acknowledged and skipped;
//! 2. apply the change ([`Consume::apply`], yours to write), which should keep it only if the
//!    aggregate version is newer than the one stored (so out-of-order delivery is harmless);
//! 3. commit, then acknowledge. A crash in between redelivers the message, and step 1 skips it.
//!
//! Messages that arrive together (up to `EVENTS_CONSUMER_BATCH_SIZE`) share one transaction:
//! one inbox insert for all their ids, one [`Consume::apply_batch`], one commit, then an ack
//! each. A commit waits for the disk, so this is what makes thousands of events per second
//! possible; under a light load batches hold one message and add no delay. When a batch fails,
//! it is rolled back and its messages are handled one by one, so one bad message is retried or
//! dead-lettered alone and the others are applied.
//!
//! Transient failures (database down, deadlock) are retried after a growing delay. Messages
//! that cannot be decoded, that fail for good, or that fail on their last delivery
//! (`EVENTS_MAX_DELIVER`) go to this service's dead-letter subject with the error, then are
//! acknowledged: nothing is dropped silently.
//!
//! The durable consumer is created with these settings when it does not exist; an existing one
//! keeps its own (change them with the `nats` CLI, or delete it to have it recreated).

use std::collections::HashSet;
use std::future::Future;
use std::time::{Duration, Instant};

use async_nats::jetstream::{self, AckKind, consumer};
use futures_util::StreamExt;
use serde::de::DeserializeOwned;
use sqlx::{PgPool, Postgres, Transaction};
use tokio::sync::watch;

use super::config::EventsConfig;
use super::envelope::{CloudEvent, nul_paths};
use super::nats::{self, Naming};
use super::stop_requested;

pub const CONSUMED_TOTAL: &str = "events_consumed_total";
pub const DEAD_LETTERED_TOTAL: &str = "events_dead_lettered_total";
pub const HANDLE_DURATION_SECONDS: &str = "events_handle_duration_seconds";

/// Header names on dead letters.
pub const DEAD_LETTER_ERROR_HEADER: &str = "Dead-Letter-Error";
pub const DEAD_LETTER_SUBJECT_HEADER: &str = "Dead-Letter-Subject";
pub const DEAD_LETTER_DELIVERIES_HEADER: &str = "Dead-Letter-Deliveries";

/// How long a handler may take before JetStream delivers the message again (to this or another
/// instance): it hung, or its instance died.
///
/// Retries of failures use their own growing delays ([`retry_delay`], sent with the NAK)
/// rather than the consumer's `backoff` list: NATS 2.9 adds the ack wait to a NAK delay once a
/// backoff list is set.
const ACK_WAIT: Duration = Duration::from_secs(30);
/// Longest delay before retrying a transient failure.
const MAX_RETRY_DELAY: Duration = Duration::from_secs(60);
const INBOX_PURGE_INTERVAL: Duration = Duration::from_secs(60 * 60);

/// An event this service consumes: its data type, and what to do with it.
pub trait Consume: DeserializeOwned + Send + Sync + 'static {
    /// The producing service (whose stream the event is in).
    const PRODUCER: &'static str;
    /// The CloudEvents `type`, e.g. `product.product_changed.v1`.
    const EVENT_TYPE: &'static str;
    /// Short snake_case name, for the durable consumer, metrics and dead letters.
    const NAME: &'static str;

    /// Applies the event within `tx` (which already holds its inbox row): commit happens after.
    /// Return `Err` to roll everything back.
    fn apply(
        tx: &mut Transaction<'_, Postgres>,
        event: &CloudEvent<Self>,
    ) -> impl Future<Output = Result<Outcome, HandlerError>> + Send;

    /// Applies events that arrived together, in delivery order, within one `tx`; returns one
    /// outcome per event. This default calls [`Consume::apply`] for each. Override it to write
    /// a batch in fewer statements; an `Err` rolls back the whole batch, whose events are then
    /// applied one by one (each in a transaction of its own, through this method).
    fn apply_batch(
        tx: &mut Transaction<'_, Postgres>,
        events: &[CloudEvent<Self>],
    ) -> impl Future<Output = Result<Vec<Outcome>, HandlerError>> + Send {
        async move {
            let mut outcomes = Vec::with_capacity(events.len());
            for event in events {
                outcomes.push(Self::apply(tx, event).await?);
            }
            Ok(outcomes)
        }
    }
}

/// What handling one message did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Applied,
    /// Older than what is stored (a newer version was applied first): nothing to do.
    Stale,
    /// Already handled (its id is in the inbox).
    Duplicate,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Applied => "applied",
            Self::Stale => "stale",
            Self::Duplicate => "duplicate",
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum HandlerError {
    /// Might work later: the message is redelivered after a delay.
    #[error("{0}")]
    Transient(String),
    /// Will never work (bad data, a broken rule): the message goes to the dead letters.
    #[error("{0}")]
    Permanent(String),
}

impl From<sqlx::Error> for HandlerError {
    /// Data and constraint errors (SQLSTATE classes 22 and 23) will fail again; the rest
    /// (connections, timeouts, deadlocks, serialization failures) may not.
    fn from(err: sqlx::Error) -> Self {
        let permanent = match &err {
            sqlx::Error::Database(db) => db
                .code()
                .is_some_and(|code| code.starts_with("22") || code.starts_with("23")),
            sqlx::Error::Encode(_) | sqlx::Error::Decode(_) | sqlx::Error::ColumnDecode { .. } => {
                true
            }
            _ => false,
        };
        if permanent {
            Self::Permanent(err.to_string())
        } else {
            Self::Transient(err.to_string())
        }
    }
}

#[derive(Debug, Clone)]
pub struct Settings {
    /// This service: names the durable consumers and holds the dead letters.
    pub service: String,
    pub naming: Naming,
    pub concurrency: usize,
    pub batch_size: usize,
    pub max_deliver: i64,
    pub inbox_retention: Duration,
}

impl Settings {
    pub fn new(config: &EventsConfig) -> Self {
        Self {
            service: env!("CARGO_PKG_NAME").to_owned(),
            naming: config.naming(),
            concurrency: config.consumer_concurrency,
            batch_size: config.consumer_batch_size,
            max_deliver: config.consumer_max_deliver,
            inbox_retention: config.inbox_retention,
        }
    }

    /// The durable consumer's name: one per consuming service and event.
    pub fn durable_name<E: Consume>(&self) -> String {
        format!("{}-{}", self.service, E::NAME)
    }
}

#[derive(Debug, thiserror::Error)]
enum ConsumeError {
    #[error("cannot create the stream: {0}")]
    Stream(#[from] jetstream::context::CreateStreamError),
    #[error("cannot create the consumer: {0}")]
    Consumer(#[from] jetstream::stream::ConsumerError),
    #[error("cannot pull messages: {0}")]
    Messages(#[from] jetstream::consumer::StreamError),
}

/// Consumes `E` until `stopped` turns true; finishes the messages in hand before returning.
/// Restarts (after a growing delay) when NATS is unreachable or the subscription breaks.
pub async fn run<E: Consume>(
    pool: PgPool,
    jetstream: jetstream::Context,
    settings: Settings,
    mut stopped: watch::Receiver<bool>,
) {
    let mut delay = Duration::from_millis(250);
    loop {
        match consume::<E>(&pool, &jetstream, &settings, &mut stopped).await {
            Ok(()) => break,
            Err(err) => {
                tracing::warn!(event = E::NAME, error = %err, retry_in_ms = delay.as_millis(), "consumer interrupted");
            }
        }
        tokio::select! {
            () = stop_requested(&mut stopped) => break,
            () = tokio::time::sleep(delay) => {}
        }
        delay = (delay * 2).min(Duration::from_secs(10));
    }
    tracing::info!(event = E::NAME, "consumer stopped");
}

/// Ok when stopped; Err when the subscription could not be made or ended.
async fn consume<E: Consume>(
    pool: &PgPool,
    jetstream: &jetstream::Context,
    settings: &Settings,
    stopped: &mut watch::Receiver<bool>,
) -> Result<(), ConsumeError> {
    let naming = &settings.naming;
    // Whichever side starts first creates the producer's stream, with the same settings.
    let stream = nats::ensure_stream(jetstream, naming, E::PRODUCER).await?;
    // Ours holds the dead letters.
    nats::ensure_stream(jetstream, naming, &settings.service).await?;

    let durable = settings.durable_name::<E>();
    let consumer = stream
        .get_or_create_consumer(
            &durable,
            consumer::pull::Config {
                durable_name: Some(durable.clone()),
                // One subject per consumer: NATS before 2.10 knows no filter lists.
                filter_subject: naming.subject(E::EVENT_TYPE),
                ack_policy: consumer::AckPolicy::Explicit,
                ack_wait: ACK_WAIT,
                max_deliver: settings.max_deliver,
                ..Default::default()
            },
        )
        .await?;
    let messages = consumer.messages().await?;
    tracing::info!(event = E::NAME, consumer = durable, "consuming");

    // `ready_chunks` hands over what has already arrived, up to the batch size, without waiting
    // for more: batches grow with the backlog and hold one message when traffic is light.
    let handling = messages
        .take_until(stop_requested(stopped))
        .ready_chunks(settings.batch_size)
        .for_each_concurrent(settings.concurrency, |pulled| async move {
            let mut batch = Vec::with_capacity(pulled.len());
            for message in pulled {
                match message {
                    Ok(message) => batch.push(message),
                    Err(err) => tracing::warn!(event = E::NAME, error = %err, "pulling messages"),
                }
            }
            handle_batch::<E>(pool, jetstream, settings, batch).await;
        });
    let purging = async {
        loop {
            tokio::time::sleep(INBOX_PURGE_INTERVAL).await;
            if let Err(err) = purge_inbox::<E>(pool, settings.inbox_retention).await {
                tracing::warn!(error = %err, "cannot purge the inbox");
            }
        }
    };
    tokio::select! {
        () = handling => {}
        () = purging => {}
    }
    Ok(())
}

/// Handles deliveries that arrived together and acknowledges each: acked when applied, skipped
/// or dead-lettered; rejected with a delay (redelivered later) on a transient failure.
pub async fn handle_batch<E: Consume>(
    pool: &PgPool,
    jetstream: &jetstream::Context,
    settings: &Settings,
    messages: Vec<jetstream::Message>,
) {
    let started = Instant::now();
    let mut decoded = Vec::with_capacity(messages.len());
    let mut events = Vec::with_capacity(messages.len());
    for message in messages {
        match decode::<E>(&message.payload) {
            Ok(event) => {
                decoded.push(message);
                events.push(event);
            }
            Err(err) => settle::<E>(jetstream, settings, &message, Err(err), started).await,
        }
    }
    if events.is_empty() {
        return;
    }

    let size = events.len();
    match apply(pool, events).await {
        Ok(outcomes) => {
            for (message, outcome) in decoded.iter().zip(outcomes) {
                settle::<E>(jetstream, settings, message, Ok(outcome), started).await;
            }
        }
        Err(err) if size == 1 => {
            settle::<E>(jetstream, settings, &decoded[0], Err(err), started).await;
        }
        Err(err) => {
            // Find the culprit: each message alone, so only the failing one is retried or
            // dead-lettered. (They decoded before, so they decode again.)
            tracing::debug!(event = E::NAME, error = %err, size, "batch failed; handling its messages one by one");
            for message in &decoded {
                let outcome = match decode::<E>(&message.payload) {
                    Ok(event) => apply(pool, vec![event]).await.map(|outcomes| outcomes[0]),
                    Err(err) => Err(err),
                };
                settle::<E>(jetstream, settings, message, outcome, started).await;
            }
        }
    }
}

/// Acknowledges one message according to what handling it did.
async fn settle<E: Consume>(
    jetstream: &jetstream::Context,
    settings: &Settings,
    message: &jetstream::Message,
    outcome: Result<Outcome, HandlerError>,
    started: Instant,
) {
    let delivered = message.info().map_or(1, |info| info.delivered);
    let acked = match outcome {
        Ok(outcome) => {
            metrics::counter!(CONSUMED_TOTAL, "event" => E::NAME, "outcome" => outcome.as_str())
                .increment(1);
            message.ack().await
        }
        Err(HandlerError::Transient(err)) if delivered < settings.max_deliver => {
            let delay = retry_delay(delivered);
            tracing::warn!(
                event = E::NAME,
                error = err,
                delivered,
                retry_in_ms = delay.as_millis(),
                "event failed; will retry"
            );
            metrics::counter!(CONSUMED_TOTAL, "event" => E::NAME, "outcome" => "retried")
                .increment(1);
            message.ack_with(AckKind::Nak(Some(delay))).await
        }
        Err(err) => match dead_letter::<E>(jetstream, settings, message, &err, delivered).await {
            Ok(()) => {
                tracing::error!(event = E::NAME, error = %err, delivered, "event dead-lettered");
                metrics::counter!(DEAD_LETTERED_TOTAL, "event" => E::NAME).increment(1);
                message.ack().await
            }
            Err(publish_err) => {
                // Never drop it: keep it in the stream until the dead letter can be written.
                tracing::error!(event = E::NAME, error = %err, dead_letter_error = publish_err, "cannot dead-letter an event; will retry");
                message.ack_with(AckKind::Nak(Some(MAX_RETRY_DELAY))).await
            }
        },
    };
    if let Err(err) = acked {
        tracing::warn!(event = E::NAME, error = %err, "cannot acknowledge; the message will come again");
    }
    metrics::histogram!(HANDLE_DURATION_SECONDS, "event" => E::NAME)
        .record(started.elapsed().as_secs_f64());
}

/// The escape JSON writes the NUL character as (a raw NUL byte is not valid JSON).
const NUL_ESCAPE: &[u8] = b"\\u0000";

fn decode<E: Consume>(payload: &[u8]) -> Result<CloudEvent<E>, HandlerError> {
    let invalid = |reason: String| {
        HandlerError::Permanent(format!("not a valid {} event: {reason}", E::EVENT_TYPE))
    };
    // PostgreSQL stores NUL neither in `text` nor in `jsonb`: such an event could never be
    // applied, so it is refused here, naming the field, rather than failing its whole batch in
    // the database. Almost no payload holds the escape at all, and those are decoded directly.
    let event: CloudEvent<E> = if payload
        .windows(NUL_ESCAPE.len())
        .any(|window| window == NUL_ESCAPE)
    {
        let value: serde_json::Value =
            serde_json::from_slice(payload).map_err(|err| invalid(err.to_string()))?;
        let paths = nul_paths(&value);
        if !paths.is_empty() {
            return Err(invalid(format!(
                "the NUL character (U+0000), which PostgreSQL cannot store, in {}",
                paths.join(", ")
            )));
        }
        serde_json::from_value(value).map_err(|err| invalid(err.to_string()))?
    } else {
        serde_json::from_slice(payload).map_err(|err| invalid(err.to_string()))?
    };
    if event.event_type != E::EVENT_TYPE {
        // Debug-quoted: the type came from outside and goes into logs and a header.
        return Err(HandlerError::Permanent(format!(
            "expected type {}, got {:?}",
            E::EVENT_TYPE,
            event.event_type
        )));
    }
    Ok(event)
}

/// Handles `events` in one transaction: records their ids in the inbox, applies those seen for
/// the first time, commits. Returns one outcome per event, in order. Public so tests can drive
/// it without NATS.
pub async fn apply<E: Consume>(
    pool: &PgPool,
    events: Vec<CloudEvent<E>>,
) -> Result<Vec<Outcome>, HandlerError> {
    let mut tx = pool.begin().await?;
    // Sorted, so two batches holding the same redelivered ids lock them in the same order
    // rather than deadlock. The inbox returns the ids it did not have yet.
    let mut ids: Vec<(&str, &str)> = events
        .iter()
        .map(|event| (event.source.as_str(), event.id.as_str()))
        .collect();
    ids.sort_unstable();
    ids.dedup();
    let (sources, event_ids): (Vec<&str>, Vec<&str>) = ids.into_iter().unzip();
    let inserted: Vec<(String, String)> = sqlx::query_as(
        "insert into inbox (source, event_id, event_type) \
         select source, event_id, $3 from unnest($1::text[], $2::text[]) as i(source, event_id) \
         on conflict do nothing \
         returning source, event_id",
    )
    .bind(&sources)
    .bind(&event_ids)
    .bind(E::EVENT_TYPE)
    .fetch_all(&mut *tx)
    .await?;
    let mut new_ids: HashSet<(String, String)> = inserted.into_iter().collect();

    // An id new to the inbox is applied at its first occurrence in the batch; any other
    // occurrence is a duplicate.
    let mut fresh = Vec::with_capacity(events.len());
    let mut is_fresh = Vec::with_capacity(events.len());
    for event in events {
        let new = new_ids.remove(&(event.source.clone(), event.id.clone()));
        is_fresh.push(new);
        if new {
            fresh.push(event);
        }
    }
    if fresh.is_empty() {
        return Ok(vec![Outcome::Duplicate; is_fresh.len()]);
    }
    let applied = E::apply_batch(&mut tx, &fresh).await?;
    if applied.len() != fresh.len() {
        return Err(HandlerError::Permanent(format!(
            "{}::apply_batch returned {} outcomes for {} events",
            E::NAME,
            applied.len(),
            fresh.len()
        )));
    }
    tx.commit().await?;
    let mut applied = applied.into_iter();
    Ok(is_fresh
        .into_iter()
        .map(|new| {
            if new {
                applied.next().unwrap_or(Outcome::Applied)
            } else {
                Outcome::Duplicate
            }
        })
        .collect())
}

/// 1 s, 2 s, 4 s, ... up to [`MAX_RETRY_DELAY`].
fn retry_delay(delivered: i64) -> Duration {
    let exponent = u32::try_from(delivered.clamp(1, 16) - 1).unwrap_or(0);
    Duration::from_secs(2u64.pow(exponent)).min(MAX_RETRY_DELAY)
}

async fn dead_letter<E: Consume>(
    jetstream: &jetstream::Context,
    settings: &Settings,
    message: &jetstream::Message,
    error: &HandlerError,
    delivered: i64,
) -> Result<(), String> {
    let mut headers = message.headers.clone().unwrap_or_default();
    // Header values are one line.
    let reason = error.to_string().replace(['\r', '\n'], " ");
    headers.insert(DEAD_LETTER_ERROR_HEADER, reason.as_str());
    headers.insert(DEAD_LETTER_SUBJECT_HEADER, message.subject.as_str());
    headers.insert(
        DEAD_LETTER_DELIVERIES_HEADER,
        delivered.to_string().as_str(),
    );
    let subject = settings
        .naming
        .dead_letter_subject(&settings.service, E::NAME);
    jetstream
        .publish_with_headers(subject, headers, message.payload.clone())
        .await
        .map_err(|err| err.to_string())?
        .await
        .map(drop)
        .map_err(|err| err.to_string())
}

async fn purge_inbox<E: Consume>(pool: &PgPool, retention: Duration) -> sqlx::Result<u64> {
    let result = sqlx::query(
        "delete from inbox where event_type = $1 and received_at < now() - make_interval(secs => $2)",
    )
    .bind(E::EVENT_TYPE)
    .bind(retention.as_secs_f64())
    .execute(pool)
    .await?;
    Ok(result.rows_affected())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_delays_grow_and_stop_growing() {
        assert_eq!(retry_delay(1), Duration::from_secs(1));
        assert_eq!(retry_delay(3), Duration::from_secs(4));
        assert_eq!(retry_delay(1000), MAX_RETRY_DELAY);
    }

    /// An event with a text field, to decode.
    #[derive(Debug, serde::Deserialize)]
    struct Named {
        name: String,
    }

    impl Consume for Named {
        const PRODUCER: &'static str = "producer";
        const EVENT_TYPE: &'static str = "producer.named.v1";
        const NAME: &'static str = "named";

        async fn apply(
            _tx: &mut Transaction<'_, Postgres>,
            _event: &CloudEvent<Self>,
        ) -> Result<Outcome, HandlerError> {
            Ok(Outcome::Applied)
        }
    }

    fn named(name: &str) -> Vec<u8> {
        serde_json::to_vec(&serde_json::json!({
            "specversion": "1.0",
            "id": "1",
            "source": "producer",
            "type": Named::EVENT_TYPE,
            "time": "2026-01-01T00:00:00Z",
            "datacontenttype": "application/json",
            "data": {"name": name},
        }))
        .expect("JSON")
    }

    #[test]
    fn a_nul_character_is_refused_for_good_naming_the_field() {
        match decode::<Named>(&named("a\u{0}b")) {
            Err(HandlerError::Permanent(reason)) => {
                assert!(reason.contains("data.name"), "{reason}");
                assert!(reason.contains("NUL"), "{reason}");
            }
            other => panic!("expected a permanent failure, got {other:?}"),
        }
        // A backslash before `u0000` is text, not a NUL.
        let event = decode::<Named>(&named("C:\\u0000")).expect("decodes");
        assert_eq!(event.data.name, "C:\\u0000");
    }

    #[test]
    fn bad_data_is_permanent_and_connection_trouble_transient() {
        let transient = HandlerError::from(sqlx::Error::PoolTimedOut);
        assert!(matches!(transient, HandlerError::Transient(_)));
        let permanent = HandlerError::from(sqlx::Error::Decode("not a number".into()));
        assert!(matches!(permanent, HandlerError::Permanent(_)));
    }
}
