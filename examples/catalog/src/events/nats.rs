//! The NATS connection, JetStream, and the streams events live in.

use std::time::Duration;

use async_nats::connection::State;
use async_nats::jetstream::{self, stream};

use super::config::EventsConfig;

pub use async_nats::ConnectError;

/// How long a publisher's `Nats-Msg-Id` is remembered: a relay that publishes an event again
/// (its ack was lost, or it crashed before marking the row) within this window is deduplicated.
pub const DUPLICATE_WINDOW: Duration = Duration::from_secs(5 * 60);

/// How long a stream keeps events. Consumers that are down longer than this miss events.
pub const STREAM_MAX_AGE: Duration = Duration::from_secs(7 * 24 * 60 * 60);

/// A connection to NATS, shared by the relay, the consumers and `/readyz`.
#[derive(Debug, Clone)]
pub struct Broker {
    client: async_nats::Client,
}

/// Connects in the background and keeps reconnecting for ever: the service starts while NATS
/// is down, reports not-ready until it is up, and the outbox keeps every event meanwhile.
pub async fn connect(config: &EventsConfig) -> Result<Broker, ConnectError> {
    let client = async_nats::ConnectOptions::new()
        .name(env!("CARGO_PKG_NAME"))
        .retry_on_initial_connect()
        .max_reconnects(None)
        .connect(config.nats_url.as_str())
        .await?;
    Ok(Broker { client })
}

impl Broker {
    pub fn is_connected(&self) -> bool {
        self.client.connection_state() == State::Connected
    }

    pub fn client(&self) -> &async_nats::Client {
        &self.client
    }

    pub fn jetstream(&self) -> jetstream::Context {
        jetstream::new(self.client.clone())
    }
}

/// Names of streams and subjects. `namespace` (`EVENTS_NAMESPACE`) prefixes all of them, so
/// several environments (or parallel tests) can share one NATS server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Naming {
    pub namespace: String,
}

impl Naming {
    /// The stream holding everything `service` publishes.
    pub fn stream(&self, service: &str) -> String {
        let name = service.replace(['.', ' ', '*', '>'], "_");
        match self.namespace.as_str() {
            "" => name,
            namespace => format!("{namespace}_{name}"),
        }
    }

    /// The subject for an event type (`product.product_changed.v1`); the type starts with the
    /// service name, so all of a service's events fall in its stream (`product.>`).
    pub fn subject(&self, event_type: &str) -> String {
        match self.namespace.as_str() {
            "" => event_type.to_owned(),
            namespace => format!("{namespace}.{event_type}"),
        }
    }

    /// Where `service` keeps messages its consumers could not handle.
    pub fn dead_letter_subject(&self, service: &str, event: &str) -> String {
        self.subject(&format!("{service}.dead_letter.{event}"))
    }
}

/// Creates the stream of `service`'s events unless it exists (a stream that exists is left as
/// it is, whatever its settings: change those with the `nats` CLI).
pub async fn ensure_stream(
    jetstream: &jetstream::Context,
    naming: &Naming,
    service: &str,
) -> Result<stream::Stream, jetstream::context::CreateStreamError> {
    jetstream
        .get_or_create_stream(stream::Config {
            name: naming.stream(service),
            subjects: vec![naming.subject(&format!("{service}.>"))],
            duplicate_window: DUPLICATE_WINDOW,
            max_age: STREAM_MAX_AGE,
            storage: stream::StorageType::File,
            ..Default::default()
        })
        .await
}
