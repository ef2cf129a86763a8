//! Events: what this service publishes and consumes through NATS JetStream. How it works, and
//! what is yours to change, is in `docs/events.md`.
//!
//! `svcgen add-event` adds modules and tasks at the `svcgen:anchor` lines below.

pub mod config;
pub mod envelope;
pub mod nats;
// Publishing: the outbox (written in the business transaction) and the relay to NATS.
pub mod outbox;
pub mod relay;
// ProductChanged: published by this service.
pub mod product_changed;
// svcgen:anchor modules

use sqlx::PgPool;
use tokio::sync::watch;
use tokio::task::JoinSet;

use self::config::EventsConfig;
use self::nats::Broker;

/// How long stopping waits for messages still buffered for NATS.
const FLUSH_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(5);

/// The event tasks running beside the HTTP server: the outbox relay and the consumers.
pub struct Events {
    broker: Broker,
    stop: watch::Sender<bool>,
    tasks: JoinSet<()>,
}

/// Connects to NATS (in the background: the service starts, and reports not-ready, while NATS
/// is down) and starts the event tasks. Fails only on a malformed `NATS_URL`.
pub async fn start(config: &EventsConfig, pool: &PgPool) -> Result<Events, nats::ConnectError> {
    // The tasks record metrics from their first round: install the recorder before them.
    crate::http::metrics::handle();
    let broker = nats::connect(config).await?;
    let jetstream = broker.jetstream();
    let (stop, stopped) = watch::channel(false);
    let mut tasks = JoinSet::new();
    tasks.spawn(relay::run(
        pool.clone(),
        jetstream.clone(),
        relay::Settings::new(config),
        stopped.clone(),
    ));
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
        // Bounded: with NATS down, a flush would wait for it.
        let flushed = tokio::time::timeout(FLUSH_TIMEOUT, self.broker.client().flush()).await;
        if !matches!(flushed, Ok(Ok(()))) {
            tracing::warn!("could not flush the NATS connection");
        }
        tracing::info!("event tasks stopped");
    }
}

/// Completes when `stopped` turns true (or its sender is gone).
pub(crate) async fn stop_requested(stopped: &mut watch::Receiver<bool>) {
    let _ = stopped.wait_for(|stop| *stop).await;
}
