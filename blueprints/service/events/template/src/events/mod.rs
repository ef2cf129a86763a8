{%- set broker = broker | default(value="nats") -%}
{% if broker == "kafka" %}//! Events: what this service publishes and consumes through Kafka. How it works, and
{% else %}//! Events: what this service publishes and consumes through NATS JetStream. How it works, and
{% endif %}//! what is yours to change, is in `docs/events.md`.
//!
//! `svcgen add-event` adds modules and tasks at the `svcgen:anchor` lines below.

pub mod config;
pub mod envelope;
{% if broker == "kafka" %}pub mod kafka;
{% else %}pub mod nats;
{% endif %}// svcgen:anchor modules

use sqlx::PgPool;
use tokio::sync::watch;
use tokio::task::JoinSet;

use self::config::EventsConfig;
{% if broker == "kafka" %}use self::kafka::Broker;
{% else %}use self::nats::Broker;
{% endif %}
{% if broker == "kafka" %}/// How long stopping waits for messages still queued for Kafka.
{% else %}/// How long stopping waits for messages still buffered for NATS.
{% endif %}const FLUSH_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(5);

/// The event tasks running beside the HTTP server: the outbox relay and the consumers.
pub struct Events {
    broker: Broker,
    stop: watch::Sender<bool>,
    tasks: JoinSet<()>,
}

{% if broker == "kafka" %}/// Connects to Kafka (in the background: the service starts, and reports not-ready, while Kafka
/// is down) and starts the event tasks. Fails only on settings librdkafka refuses.
pub async fn start(config: &EventsConfig, pool: &PgPool) -> Result<Events, kafka::ConnectError> {
{% else %}/// Connects to NATS (in the background: the service starts, and reports not-ready, while NATS
/// is down) and starts the event tasks. Fails only on a malformed `NATS_URL`.
pub async fn start(config: &EventsConfig, pool: &PgPool) -> Result<Events, nats::ConnectError> {
{% endif %}    // The tasks record metrics from their first round: install the recorder before them.
    crate::http::metrics::handle();
{% if broker == "kafka" %}    let broker = kafka::connect(config).await?;
{% else %}    let broker = nats::connect(config).await?;
    let jetstream = broker.jetstream();
{% endif %}    let (stop, stopped) = watch::channel(false);
    let mut tasks = JoinSet::new();
    // svcgen:anchor start-tasks
    Ok(Events {
        broker,
        stop,
        tasks,
    })
}

impl Events {
    pub fn broker(&self) -> Broker {
        self.broker.clone()
    }

    /// Asks every task to stop, waits for them to finish what they hold (a relay batch, the
    /// messages being handled), then flushes the connection.
    pub async fn stop(mut self) {
        let _ = self.stop.send(true);
        while let Some(result) = self.tasks.join_next().await {
            if let Err(err) = result {
                tracing::error!(error = %err, "event task failed");
            }
        }
{% if broker == "kafka" %}        // Bounded: with Kafka down, a flush would wait for it. (The relay awaits its sends,
        // so only dead letters can still be queued here.)
        let producer = self.broker.producer().clone();
        let flushed = tokio::task::spawn_blocking(move || {
            rdkafka::producer::Producer::flush(&producer, FLUSH_TIMEOUT)
        })
        .await;
{% else %}        // Bounded: with NATS down, a flush would wait for it.
        let flushed = tokio::time::timeout(FLUSH_TIMEOUT, self.broker.client().flush()).await;
{% endif %}        if !matches!(flushed, Ok(Ok(()))) {
{% if broker == "kafka" %}            tracing::warn!("could not flush the Kafka producer");
{% else %}            tracing::warn!("could not flush the NATS connection");
{% endif %}        }
        tracing::info!("event tasks stopped");
    }
}

/// Completes when `stopped` turns true (or its sender is gone).
pub(crate) async fn stop_requested(stopped: &mut watch::Receiver<bool>) {
    let _ = stopped.wait_for(|stop| *stop).await;
}
