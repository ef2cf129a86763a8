{%- set broker = broker | default(value="nats") -%}
//! Event settings, read with the rest of the configuration (`crate::config`) and documented in
//! `.env.example`.

use std::fmt;
use std::time::Duration;

use crate::config::{Reader, positive_integer};

#[derive(Clone)]
pub struct EventsConfig {
{% if broker == "kafka" %}    /// `KAFKA_BROKERS`: the bootstrap servers, `host:port` separated by commas.
    pub kafka_brokers: String,
    /// Partitions of each topic this service creates (`KAFKA_TOPIC_PARTITIONS`). One
    /// aggregate's events share a partition (the key is its id), so they keep their order.
    pub kafka_topic_partitions: i32,
    /// Replicas of each topic this service creates (`KAFKA_TOPIC_REPLICATION_FACTOR`).
    pub kafka_topic_replication_factor: i32,
    /// `EVENTS_NAMESPACE`: prefix of every topic and consumer group name (empty: none).
{% else %}    /// `NATS_URL`; may hold credentials, so it is never logged.
    pub nats_url: String,
    /// `EVENTS_NAMESPACE`: prefix of every stream and subject name (empty: none).
{% endif %}    pub namespace: String,
    /// Most outbox rows the relay publishes in one round (`OUTBOX_BATCH_SIZE`).
    pub relay_batch_size: i64,
    /// How often the relay looks for due rows without a notification (`OUTBOX_SWEEP_MILLIS`).
    pub relay_sweep_interval: Duration,
    /// How long published rows stay in the outbox before they are purged
    /// (`OUTBOX_RETENTION_HOURS`).
    pub outbox_retention: Duration,
{% if broker != "kafka" %}    /// Batches a consumer handles at once (`EVENTS_CONSUMER_CONCURRENCY`); each holds a
    /// database connection, so keep it below `DATABASE_MAX_CONNECTIONS`.
    pub consumer_concurrency: usize,
{% endif %}    /// Most messages a consumer handles in one transaction (`EVENTS_CONSUMER_BATCH_SIZE`).
    pub consumer_batch_size: usize,
    /// Deliveries of one message before it goes to the dead letters (`EVENTS_MAX_DELIVER`).
    pub consumer_max_deliver: i64,
    /// How long handled event ids are remembered to skip duplicates (`INBOX_RETENTION_HOURS`).
    pub inbox_retention: Duration,
}

impl fmt::Debug for EventsConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EventsConfig")
{% if broker == "kafka" %}            .field("kafka_brokers", &self.kafka_brokers)
            .field("kafka_topic_partitions", &self.kafka_topic_partitions)
            .field(
                "kafka_topic_replication_factor",
                &self.kafka_topic_replication_factor,
            )
{% else %}            .field("nats_url", &"[redacted]")
{% endif %}            .field("namespace", &self.namespace)
            .field("relay_batch_size", &self.relay_batch_size)
            .field("relay_sweep_interval", &self.relay_sweep_interval)
            .field("outbox_retention", &self.outbox_retention)
{% if broker != "kafka" %}            .field("consumer_concurrency", &self.consumer_concurrency)
{% endif %}            .field("consumer_batch_size", &self.consumer_batch_size)
            .field("consumer_max_deliver", &self.consumer_max_deliver)
            .field("inbox_retention", &self.inbox_retention)
            .finish()
    }
}

impl EventsConfig {
    /// Reads the event settings; problems are collected in `reader` with the others.
    pub(crate) fn read(reader: &mut Reader<'_>) -> Self {
{% if broker == "kafka" %}        let kafka_brokers = reader.parse("KAFKA_BROKERS", "127.0.0.1:9092".to_owned(), |v| {
            let valid = v.split(',').all(|server| {
                server
                    .rsplit_once(':')
                    .is_some_and(|(host, port)| !host.is_empty() && port.parse::<u16>().is_ok())
            });
            if valid {
                Ok(v.to_owned())
            } else {
                Err("expected host:port, separated by commas".to_owned())
{% else %}        // Not through `reader.parse`, which quotes bad values: this one may hold a password.
        let nats_url = match (reader.lookup)("NATS_URL") {
            None => "nats://127.0.0.1:4222".to_owned(),
            Some(url) if url.starts_with("nats://") || url.starts_with("tls://") => url,
            Some(_) => {
                reader.problems.push(
                    "NATS_URL: expected a nats:// or tls:// URL (value not shown: it may hold a password)"
                        .to_owned(),
                );
                String::new()
{% endif %}            }
{% if broker == "kafka" %}        });
        let partitions = reader.parse("KAFKA_TOPIC_PARTITIONS", 6, |v| match v.parse::<i32>() {
            Ok(n) if n >= 1 => Ok(n),
            _ => Err("expected a positive integer".to_owned()),
        });
        let replication = reader.parse("KAFKA_TOPIC_REPLICATION_FACTOR", 1, |v| {
            match v.parse::<i32>() {
                Ok(n) if n >= 1 => Ok(n),
                _ => Err("expected a positive integer".to_owned()),
            }
        });
{% else %}        };
{% endif %}        let namespace = reader.parse("EVENTS_NAMESPACE", String::new(), |v| {
            let valid = v
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
            if valid {
                Ok(v.to_owned())
            } else {
                Err("expected letters, digits, `_` and `-` only".to_owned())
            }
        });
{% if broker == "kafka" %}        // A round holds one delivery report per row in librdkafka's queue.
{% else %}        // A round holds one JetStream ack per row, and a connection allows 5,000 in flight.
{% endif %}        let relay_batch_size = reader.parse("OUTBOX_BATCH_SIZE", 500, |v| match v.parse::<u64>() {
            Ok(n) if (1..=5000).contains(&n) => Ok(n),
            _ => Err("expected an integer from 1 to 5000".to_owned()),
        });
        let sweep_millis = reader.parse("OUTBOX_SWEEP_MILLIS", 1000, positive_integer);
        let outbox_hours = reader.parse("OUTBOX_RETENTION_HOURS", 72, positive_integer);
{% if broker == "kafka" %}        // One transaction per batch.
{% else %}        let concurrency = reader.parse("EVENTS_CONSUMER_CONCURRENCY", 4, positive_integer);
        // Within the consumer's default pull of 200 messages and its 1,000 unacknowledged ones.
{% endif %}        let batch_size = reader.parse("EVENTS_CONSUMER_BATCH_SIZE", 100, |v| {
            match v.parse::<u64>() {
                Ok(n) if (1..=200).contains(&n) => Ok(n),
                _ => Err("expected an integer from 1 to 200".to_owned()),
            }
        });
        let max_deliver = reader.parse("EVENTS_MAX_DELIVER", 10, |v| match v.parse::<i64>() {
            Ok(n) if n >= 2 => Ok(n),
            _ => Err("expected an integer of at least 2".to_owned()),
        });
        let inbox_hours = reader.parse("INBOX_RETENTION_HOURS", 168, positive_integer);
        Self {
{% if broker == "kafka" %}            kafka_brokers,
            kafka_topic_partitions: partitions,
            kafka_topic_replication_factor: replication,
{% else %}            nats_url,
{% endif %}            namespace,
            relay_batch_size: i64::try_from(relay_batch_size).unwrap_or(i64::MAX),
            relay_sweep_interval: Duration::from_millis(sweep_millis),
            outbox_retention: Duration::from_secs(outbox_hours.saturating_mul(3600)),
{% if broker != "kafka" %}            consumer_concurrency: usize::try_from(concurrency).unwrap_or(usize::MAX),
{% endif %}            consumer_batch_size: usize::try_from(batch_size).unwrap_or(200),
            consumer_max_deliver: max_deliver,
            inbox_retention: Duration::from_secs(inbox_hours.saturating_mul(3600)),
        }
    }

{% if broker == "kafka" %}    /// Settings for a local Kafka and no namespace, as in `.env.example`; tests start from these.
    pub fn local(kafka_brokers: &str) -> Self {
        let lookup = |key: &str| (key == "KAFKA_BROKERS").then(|| kafka_brokers.to_owned());
{% else %}    /// Settings for a local NATS and no namespace, as in `.env.example`; tests start from these.
    pub fn local(nats_url: &str) -> Self {
        let lookup = |key: &str| (key == "NATS_URL").then(|| nats_url.to_owned());
{% endif %}        let mut reader = Reader {
            lookup: &lookup,
            problems: Vec::new(),
        };
        Self::read(&mut reader)
    }

{% if broker == "kafka" %}    pub fn naming(&self) -> super::kafka::Naming {
        super::kafka::Naming {
{% else %}    pub fn naming(&self) -> super::nats::Naming {
        super::nats::Naming {
{% endif %}            namespace: self.namespace.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(vars: &[(&str, &str)]) -> (EventsConfig, Vec<String>) {
        let lookup = |key: &str| {
            vars.iter()
                .find(|(name, _)| *name == key)
                .map(|(_, value)| (*value).to_owned())
        };
        let mut reader = Reader {
            lookup: &lookup,
            problems: Vec::new(),
        };
        let config = EventsConfig::read(&mut reader);
        (config, reader.problems)
    }

    #[test]
    fn every_setting_has_a_default() {
        let (config, problems) = read(&[]);
        assert!(problems.is_empty(), "{problems:?}");
{% if broker == "kafka" %}        assert_eq!(config.kafka_brokers, "127.0.0.1:9092");
        assert_eq!(config.kafka_topic_partitions, 6);
{% else %}        assert_eq!(config.nats_url, "nats://127.0.0.1:4222");
{% endif %}        assert_eq!(config.namespace, "");
        assert_eq!(config.relay_batch_size, 500);
        assert_eq!(config.consumer_batch_size, 100);
    }

    #[test]
{% if broker == "kafka" %}    fn bad_values_are_reported() {
        let (_, problems) = read(&[
            ("KAFKA_BROKERS", "kafka:9092,kafka"),
{% else %}    fn bad_values_are_reported_and_the_url_is_never_echoed() {
        let (config, problems) = read(&[
            ("NATS_URL", "http://app:hunter2@nats:4222"),
{% endif %}            ("OUTBOX_BATCH_SIZE", "9000"),
            ("EVENTS_NAMESPACE", "a.b"),
            ("EVENTS_CONSUMER_BATCH_SIZE", "0"),
        ]);
        assert_eq!(problems.len(), 4, "{problems:?}");
{% if broker == "kafka" %}        assert!(problems[0].starts_with("KAFKA_BROKERS"), "{problems:?}");
{% else %}        assert!(problems.iter().all(|p| !p.contains("hunter2")));
        assert!(!format!("{config:?}").contains("hunter2"));
{% endif %}    }
}
