//! Event settings, read with the rest of the configuration (`crate::config`) and documented in
//! `.env.example`.

use std::fmt;
use std::time::Duration;

use crate::config::{Reader, positive_integer};

#[derive(Clone)]
pub struct EventsConfig {
    /// `NATS_URL`; may hold credentials, so it is never logged.
    pub nats_url: String,
    /// `EVENTS_NAMESPACE`: prefix of every stream and subject name (empty: none).
    pub namespace: String,
    /// Most outbox rows the relay publishes in one round (`OUTBOX_BATCH_SIZE`).
    pub relay_batch_size: i64,
    /// How often the relay looks for due rows without a notification (`OUTBOX_SWEEP_MILLIS`).
    pub relay_sweep_interval: Duration,
    /// How long published rows stay in the outbox before they are purged
    /// (`OUTBOX_RETENTION_HOURS`).
    pub outbox_retention: Duration,
    /// Batches a consumer handles at once (`EVENTS_CONSUMER_CONCURRENCY`); each holds a
    /// database connection, so keep it below `DATABASE_MAX_CONNECTIONS`.
    pub consumer_concurrency: usize,
    /// Most messages a consumer handles in one transaction (`EVENTS_CONSUMER_BATCH_SIZE`).
    pub consumer_batch_size: usize,
    /// Deliveries of one message before it goes to the dead letters (`EVENTS_MAX_DELIVER`).
    pub consumer_max_deliver: i64,
    /// How long handled event ids are remembered to skip duplicates (`INBOX_RETENTION_HOURS`).
    pub inbox_retention: Duration,
}

impl fmt::Debug for EventsConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EventsConfig")
            .field("nats_url", &"[redacted]")
            .field("namespace", &self.namespace)
            .field("relay_batch_size", &self.relay_batch_size)
            .field("relay_sweep_interval", &self.relay_sweep_interval)
            .field("outbox_retention", &self.outbox_retention)
            .field("consumer_concurrency", &self.consumer_concurrency)
            .field("consumer_batch_size", &self.consumer_batch_size)
            .field("consumer_max_deliver", &self.consumer_max_deliver)
            .field("inbox_retention", &self.inbox_retention)
            .finish()
    }
}

impl EventsConfig {
    /// Reads the event settings; problems are collected in `reader` with the others.
    pub(crate) fn read(reader: &mut Reader<'_>) -> Self {
        // Not through `reader.parse`, which quotes bad values: this one may hold a password.
        let nats_url = match (reader.lookup)("NATS_URL") {
            None => "nats://127.0.0.1:4222".to_owned(),
            Some(url) if url.starts_with("nats://") || url.starts_with("tls://") => url,
            Some(_) => {
                reader.problems.push(
                    "NATS_URL: expected a nats:// or tls:// URL (value not shown: it may hold a password)"
                        .to_owned(),
                );
                String::new()
            }
        };
        let namespace = reader.parse("EVENTS_NAMESPACE", String::new(), |v| {
            let valid = v
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
            if valid {
                Ok(v.to_owned())
            } else {
                Err("expected letters, digits, `_` and `-` only".to_owned())
            }
        });
        // A round holds one JetStream ack per row, and a connection allows 5,000 in flight.
        let relay_batch_size = reader.parse("OUTBOX_BATCH_SIZE", 500, |v| match v.parse::<u64>() {
            Ok(n) if (1..=5000).contains(&n) => Ok(n),
            _ => Err("expected an integer from 1 to 5000".to_owned()),
        });
        let sweep_millis = reader.parse("OUTBOX_SWEEP_MILLIS", 1000, positive_integer);
        let outbox_hours = reader.parse("OUTBOX_RETENTION_HOURS", 72, positive_integer);
        let concurrency = reader.parse("EVENTS_CONSUMER_CONCURRENCY", 4, positive_integer);
        // Within the consumer's default pull of 200 messages and its 1,000 unacknowledged ones.
        let batch_size = reader.parse("EVENTS_CONSUMER_BATCH_SIZE", 100, |v| {
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
            nats_url,
            namespace,
            relay_batch_size: i64::try_from(relay_batch_size).unwrap_or(i64::MAX),
            relay_sweep_interval: Duration::from_millis(sweep_millis),
            outbox_retention: Duration::from_secs(outbox_hours.saturating_mul(3600)),
            consumer_concurrency: usize::try_from(concurrency).unwrap_or(usize::MAX),
            consumer_batch_size: usize::try_from(batch_size).unwrap_or(200),
            consumer_max_deliver: max_deliver,
            inbox_retention: Duration::from_secs(inbox_hours.saturating_mul(3600)),
        }
    }

    /// Settings for a local NATS and no namespace, as in `.env.example`; tests start from these.
    pub fn local(nats_url: &str) -> Self {
        let lookup = |key: &str| (key == "NATS_URL").then(|| nats_url.to_owned());
        let mut reader = Reader {
            lookup: &lookup,
            problems: Vec::new(),
        };
        Self::read(&mut reader)
    }

    pub fn naming(&self) -> super::nats::Naming {
        super::nats::Naming {
            namespace: self.namespace.clone(),
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
        assert_eq!(config.nats_url, "nats://127.0.0.1:4222");
        assert_eq!(config.namespace, "");
        assert_eq!(config.relay_batch_size, 500);
        assert_eq!(config.consumer_batch_size, 100);
    }

    #[test]
    fn bad_values_are_reported_and_the_url_is_never_echoed() {
        let (config, problems) = read(&[
            ("NATS_URL", "http://app:hunter2@nats:4222"),
            ("OUTBOX_BATCH_SIZE", "9000"),
            ("EVENTS_NAMESPACE", "a.b"),
            ("EVENTS_CONSUMER_BATCH_SIZE", "0"),
        ]);
        assert_eq!(problems.len(), 4, "{problems:?}");
        assert!(problems.iter().all(|p| !p.contains("hunter2")));
        assert!(!format!("{config:?}").contains("hunter2"));
    }
}
