//! The relay: publishes committed outbox rows to NATS JetStream, at least once, in order per
//! aggregate, and marks them published only after JetStream has stored them.
//!
//! - It wakes on `NOTIFY outbox` (sent by a trigger when rows commit) and, because notifications
//!   are lost while the listening connection reconnects, on a periodic sweep.
//! - Each round claims up to `OUTBOX_BATCH_SIZE` due rows (`FOR UPDATE SKIP LOCKED`), publishes
//!   them all, then awaits the acks, and marks the batch in one statement. One relay publishes at
//!   a time (a transaction-scoped advisory lock), so several instances keep the order.
//! - A row that fails is retried with exponential backoff and jitter, for ever: nothing unsent
//!   is dropped. Later rows of the same aggregate wait for it.
//! - `Nats-Msg-Id` is the event id: a row published twice (an ack lost, a crash before the
//!   mark) is stored once, within the stream's duplicate window.
//! - Published rows are deleted after `OUTBOX_RETENTION_HOURS`.

use std::time::{Duration, Instant};

use async_nats::jetstream;
use chrono::{DateTime, Utc};
use sqlx::PgPool;
use sqlx::postgres::PgListener;
use sqlx::types::Json;
use tokio::sync::watch;
use uuid::Uuid;

use super::config::EventsConfig;
use super::envelope::{CONTENT_TYPE, CloudEvent, SPEC_VERSION};
use super::nats::{self, Naming};
use super::outbox::{Headers, TRACEPARENT_HEADER};
use super::stop_requested;
use crate::http::middleware::REQUEST_ID_HEADER;

/// The channel the outbox trigger notifies (see the outbox migration).
pub const CHANNEL: &str = "outbox";

pub const BACKLOG: &str = "outbox_backlog";
pub const OLDEST_UNPUBLISHED_AGE_SECONDS: &str = "outbox_oldest_unpublished_age_seconds";
pub const PUBLISH_LATENCY_SECONDS: &str = "outbox_publish_latency_seconds";
pub const PUBLISHED_TOTAL: &str = "outbox_published_total";
pub const PUBLISH_FAILURES_TOTAL: &str = "outbox_publish_failures_total";

/// How often the backlog gauges are refreshed.
const GAUGE_INTERVAL: Duration = Duration::from_secs(5);
/// How often published rows past their retention are deleted, and how many at most each time
/// (short transactions, however large the backlog of old rows).
const PURGE_INTERVAL: Duration = Duration::from_secs(60);
const PURGE_LIMIT: i64 = 10_000;
/// Longest wait before retrying a row, before jitter.
const MAX_RETRY_DELAY_SECS: f64 = 300.0;

#[derive(Debug, Clone)]
pub struct Settings {
    /// This service: the CloudEvents `source` and the name of its stream.
    pub service: String,
    pub naming: Naming,
    pub batch_size: i64,
    pub sweep_interval: Duration,
    pub retention: Duration,
}

impl Settings {
    pub fn new(config: &EventsConfig) -> Self {
        Self {
            service: env!("CARGO_PKG_NAME").to_owned(),
            naming: config.naming(),
            batch_size: config.relay_batch_size,
            sweep_interval: config.relay_sweep_interval,
            retention: config.outbox_retention,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum RelayError {
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    #[error("encoding an event: {0}")]
    Encode(#[from] serde_json::Error),
}

/// What one round did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Round {
    pub claimed: usize,
    pub published: usize,
    pub failed: usize,
}

/// Relays until `stopped` turns true, then returns after finishing the round in progress.
pub async fn run(
    pool: PgPool,
    jetstream: jetstream::Context,
    settings: Settings,
    mut stopped: watch::Receiver<bool>,
) {
    let stream_ready = ensure_stream_until_ready(&jetstream, &settings, &mut stopped);
    if !stream_ready.await {
        return;
    }
    tracing::info!(
        stream = settings.naming.stream(&settings.service),
        "outbox relay started"
    );

    let mut listener = None;
    let mut gauges_due = Instant::now();
    let mut purge_due = Instant::now();
    loop {
        if listener.is_none() {
            listener = listen(&pool).await;
        }

        // Drain: as long as rounds come back full, more rows are waiting. While NATS is down,
        // rows stay due rather than fail (and back off) one by one.
        while jetstream.client().connection_state() == async_nats::connection::State::Connected {
            match relay_once(&pool, &jetstream, &settings).await {
                Ok(round) if round.failed > 0 => {
                    // Perhaps the stream was deleted: recreate it before the retries are due.
                    if let Err(err) =
                        nats::ensure_stream(&jetstream, &settings.naming, &settings.service).await
                    {
                        tracing::warn!(error = %err, "cannot ensure the event stream");
                    }
                    break;
                }
                Ok(round) if round.claimed as i64 >= settings.batch_size => {}
                Ok(_) => break,
                Err(err) => {
                    tracing::warn!(error = %err, "outbox relay round failed; retrying at the next sweep");
                    break;
                }
            }
            if *stopped.borrow() {
                break;
            }
        }

        if Instant::now() >= gauges_due {
            gauges_due = Instant::now() + GAUGE_INTERVAL;
            if let Err(err) = update_gauges(&pool).await {
                tracing::warn!(error = %err, "cannot measure the outbox backlog");
            }
        }
        if Instant::now() >= purge_due {
            purge_due = Instant::now() + PURGE_INTERVAL;
            match purge(&pool, settings.retention).await {
                Ok(0) => {}
                Ok(purged) => tracing::debug!(purged, "purged published outbox rows"),
                Err(err) => tracing::warn!(error = %err, "cannot purge the outbox"),
            }
        }

        let notified = async {
            match listener.as_mut() {
                Some(listener) => listener.try_recv().await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            () = stop_requested(&mut stopped) => break,
            () = tokio::time::sleep(settings.sweep_interval) => {}
            received = notified => match received {
                Ok(Some(_)) => {}
                // Reconnected: notifications may have been lost, so sweep now.
                Ok(None) => tracing::debug!("outbox listener reconnected"),
                Err(err) => {
                    tracing::warn!(error = %err, "outbox listener failed; relying on sweeps");
                    listener = None;
                }
            },
        }
    }
    tracing::info!("outbox relay stopped");
}

/// `relay`: runs only the relay, until SIGTERM or Ctrl-C.
pub async fn run_until_signal(config: &crate::config::Config) -> Result<(), nats::ConnectError> {
    let pool = crate::db::connect_lazy(&config.database);
    let broker = nats::connect(&config.events).await?;
    let (stop, stopped) = watch::channel(false);
    let relay = tokio::spawn(run(
        pool.clone(),
        broker.jetstream(),
        Settings::new(&config.events),
        stopped,
    ));
    crate::lifecycle::shutdown_signal().await;
    let _ = stop.send(true);
    if let Err(err) = relay.await {
        tracing::error!(error = %err, "outbox relay failed");
    }
    pool.close().await;
    Ok(())
}

async fn ensure_stream_until_ready(
    jetstream: &jetstream::Context,
    settings: &Settings,
    stopped: &mut watch::Receiver<bool>,
) -> bool {
    let mut delay = Duration::from_millis(250);
    loop {
        match nats::ensure_stream(jetstream, &settings.naming, &settings.service).await {
            Ok(_) => return true,
            Err(err) => {
                tracing::warn!(error = %err, retry_in_ms = delay.as_millis(), "cannot create the event stream")
            }
        }
        tokio::select! {
            () = stop_requested(stopped) => return false,
            () = tokio::time::sleep(delay) => {}
        }
        delay = (delay * 2).min(Duration::from_secs(10));
    }
}

async fn listen(pool: &PgPool) -> Option<PgListener> {
    let listener = async {
        let mut listener = PgListener::connect_with(pool).await?;
        listener.listen(CHANNEL).await?;
        Ok::<_, sqlx::Error>(listener)
    };
    match listener.await {
        Ok(listener) => Some(listener),
        Err(err) => {
            tracing::warn!(error = %err, "cannot listen for outbox notifications; relying on sweeps");
            None
        }
    }
}

#[derive(sqlx::FromRow)]
struct OutboxRow {
    id: Uuid,
    aggregate_id: String,
    event_type: String,
    payload: serde_json::Value,
    headers: Json<Headers>,
    created_at: DateTime<Utc>,
}

/// One round: claims due rows, publishes them, awaits the acks, records the outcome. Public so
/// tests can drive the relay step by step.
pub async fn relay_once(
    pool: &PgPool,
    jetstream: &jetstream::Context,
    settings: &Settings,
) -> Result<Round, RelayError> {
    let mut tx = pool.begin().await?;
    // Only one relay publishes at a time, so the order of the stream is the order of the
    // outbox even with several instances. Released at commit.
    //
    // And this round's commit does not wait for the disk (`synchronous_commit` off, for this
    // transaction only): if PostgreSQL crashed and lost the marks, the rows would be published
    // again, and JetStream drops a repeated `Nats-Msg-Id` (consumers' inboxes would too). The
    // next round starts sooner, which is what events wait for.
    let (leader, _): (bool, String) = sqlx::query_as(
        "select pg_try_advisory_xact_lock(hashtext('outbox relay')), \
           set_config('synchronous_commit', 'off', true)",
    )
    .fetch_one(&mut *tx)
    .await?;
    if !leader {
        return Ok(Round::default());
    }
    // Oldest first. A row waiting for a retry holds back the later rows of its aggregate.
    // The waiting rows (usually none) are collected once, in `waiting`. Checked by a subquery
    // per candidate instead, PostgreSQL could pick a plan that rescans the unpublished rows for
    // each one: with 20,000 rows due, a round of 500 was seen to take 80 s.
    let rows = sqlx::query_as::<_, OutboxRow>(
        "with waiting as materialized ( \
           select aggregate_type, aggregate_id, min(seq) as seq from outbox \
           where published_at is null and next_attempt_at > now() \
           group by aggregate_type, aggregate_id) \
         select o.id, o.aggregate_id, o.event_type, o.payload, o.headers, o.created_at \
         from outbox o \
         where o.published_at is null and o.next_attempt_at <= now() \
           and not exists ( \
             select 1 from waiting w \
             where w.aggregate_type = o.aggregate_type \
               and w.aggregate_id = o.aggregate_id \
               and w.seq < o.seq) \
         order by o.seq \
         limit $1 \
         for update of o skip locked",
    )
    .bind(settings.batch_size)
    .fetch_all(&mut *tx)
    .await?;
    if rows.is_empty() {
        return Ok(Round::default());
    }

    // Publish everything first, then collect the acks: one round trip per batch, not per event.
    let mut pending = Vec::with_capacity(rows.len());
    for row in &rows {
        pending.push(publish(jetstream, settings, row).await);
    }
    let mut published = Vec::with_capacity(rows.len());
    let mut failed = Vec::new();
    let mut errors = Vec::new();
    for (row, sent) in rows.iter().zip(pending) {
        let acked = match sent {
            Ok(ack) => ack.await.map_err(|err| err.to_string()),
            Err(err) => Err(err),
        };
        match acked {
            Ok(_) => {
                published.push(row.id);
                let latency = (Utc::now() - row.created_at).to_std().unwrap_or_default();
                metrics::histogram!(PUBLISH_LATENCY_SECONDS).record(latency.as_secs_f64());
            }
            Err(err) => {
                tracing::warn!(event_id = %row.id, event_type = row.event_type, error = err, "publish failed; will retry");
                failed.push(row.id);
                errors.push(err);
            }
        }
    }

    if !published.is_empty() {
        sqlx::query(
            "update outbox set published_at = now(), attempts = attempts + 1, last_error = null \
             where id = any($1)",
        )
        .bind(&published)
        .execute(&mut *tx)
        .await?;
    }
    if !failed.is_empty() {
        // 1 s, 2 s, 4 s, ... up to MAX_RETRY_DELAY_SECS, each between half and all of it, so
        // rows that failed together do not all come back at once.
        sqlx::query(
            "update outbox set attempts = attempts + 1, last_error = f.error, \
               next_attempt_at = now() + make_interval(secs => \
                 least($3, power(2, least(outbox.attempts, 30))) * (0.5 + random() / 2)) \
             from unnest($1::uuid[], $2::text[]) as f(id, error) \
             where outbox.id = f.id",
        )
        .bind(&failed)
        .bind(&errors)
        .bind(MAX_RETRY_DELAY_SECS)
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;

    metrics::counter!(PUBLISHED_TOTAL).increment(published.len() as u64);
    metrics::counter!(PUBLISH_FAILURES_TOTAL).increment(failed.len() as u64);
    Ok(Round {
        claimed: rows.len(),
        published: published.len(),
        failed: failed.len(),
    })
}

/// Sends one row; the returned future resolves when JetStream has stored it.
async fn publish(
    jetstream: &jetstream::Context,
    settings: &Settings,
    row: &OutboxRow,
) -> Result<jetstream::context::PublishAckFuture, String> {
    let event = CloudEvent {
        specversion: SPEC_VERSION.to_owned(),
        id: row.id.to_string(),
        source: settings.service.clone(),
        event_type: row.event_type.clone(),
        subject: Some(row.aggregate_id.clone()),
        time: row.created_at,
        datacontenttype: "application/json".to_owned(),
        data: &row.payload,
    };
    let payload = serde_json::to_vec(&event).map_err(|err| err.to_string())?;
    let mut headers = async_nats::HeaderMap::new();
    headers.insert(
        async_nats::header::NATS_MESSAGE_ID,
        row.id.to_string().as_str(),
    );
    headers.insert("content-type", CONTENT_TYPE);
    if let Some(request_id) = &row.headers.request_id {
        headers.insert(REQUEST_ID_HEADER, request_id.as_str());
    }
    if let Some(traceparent) = &row.headers.traceparent {
        headers.insert(TRACEPARENT_HEADER, traceparent.as_str());
    }
    jetstream
        .publish_with_headers(
            settings.naming.subject(&row.event_type),
            headers,
            payload.into(),
        )
        .await
        .map_err(|err| err.to_string())
}

async fn update_gauges(pool: &PgPool) -> sqlx::Result<()> {
    let (backlog, oldest): (i64, Option<f64>) = sqlx::query_as(
        "select count(*), extract(epoch from now() - min(created_at))::float8 \
         from outbox where published_at is null",
    )
    .fetch_one(pool)
    .await?;
    metrics::gauge!(BACKLOG).set(backlog as f64);
    metrics::gauge!(OLDEST_UNPUBLISHED_AGE_SECONDS).set(oldest.unwrap_or(0.0));
    Ok(())
}

/// Deletes published rows older than `retention`; returns how many.
pub async fn purge(pool: &PgPool, retention: Duration) -> sqlx::Result<u64> {
    let result = sqlx::query(
        "delete from outbox where id in ( \
           select id from outbox \
           where published_at < now() - make_interval(secs => $1) \
           limit $2)",
    )
    .bind(retention.as_secs_f64())
    .bind(PURGE_LIMIT)
    .execute(pool)
    .await?;
    Ok(result.rows_affected())
}
