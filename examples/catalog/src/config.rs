//! Configuration read from the environment and validated once at start-up.
//!
//! Every variable is documented in `.env.example`. All problems are collected
//! and reported together, one line per variable, so a broken deployment is
//! fixed in one round trip. Values of secrets are never echoed.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::str::FromStr;
use std::time::Duration;

use sqlx::postgres::PgConnectOptions;

/// The environment the service runs in; selects the log format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AppEnv {
    Development,
    Production,
}

impl FromStr for AppEnv {
    type Err = String;

    fn from_str(value: &str) -> Result<Self, Self::Err> {
        match value {
            "development" => Ok(Self::Development),
            "production" => Ok(Self::Production),
            _ => Err("expected `development` or `production`".to_owned()),
        }
    }
}

#[derive(Clone)]
pub struct Config {
    pub app_env: AppEnv,
    pub http: HttpConfig,
    pub connections: ConnectionLimits,
    pub database: DatabaseConfig,
    pub events: crate::events::config::EventsConfig,
    pub clients: crate::clients::ClientsConfig,
    pub backfill: crate::backfill::BackfillConfig,
    // svcgen:anchor config-fields
}

#[derive(Debug, Clone)]
pub struct HttpConfig {
    pub addr: SocketAddr,
    /// Upper bound for handling one request, body included.
    pub request_timeout: Duration,
    pub body_limit_bytes: usize,
    /// How long `/readyz` reports 503 before the listener closes on shutdown.
    pub shutdown_drain: Duration,
}

/// What one client may hold of the server, enforced by its accept loop
/// (`server.rs`), below HTTP: slow or idle clients must not pin connections.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConnectionLimits {
    /// A connection that has not sent a request's complete headers this long
    /// after it opened (or after its previous response) is closed.
    pub header_read_timeout: Duration,
    /// Connections served at once; more wait in the listen backlog until one closes.
    pub max_connections: usize,
}

impl Default for ConnectionLimits {
    fn default() -> Self {
        Self {
            header_read_timeout: Duration::from_secs(10),
            max_connections: 1024,
        }
    }
}

#[derive(Clone)]
pub struct DatabaseConfig {
    /// Parsed from `DATABASE_URL`; holds the password, so it is never logged.
    pub connect_options: PgConnectOptions,
    pub max_connections: u32,
    pub acquire_timeout: Duration,
}

impl fmt::Debug for DatabaseConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DatabaseConfig")
            .field("host", &self.connect_options.get_host())
            .field("port", &self.connect_options.get_port())
            .field("database", &self.connect_options.get_database())
            .field("username", &self.connect_options.get_username())
            .field("password", &"[redacted]")
            .field("max_connections", &self.max_connections)
            .field("acquire_timeout", &self.acquire_timeout)
            .finish()
    }
}

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Config")
            .field("app_env", &self.app_env)
            .field("http", &self.http)
            .field("connections", &self.connections)
            .field("database", &self.database)
            .field("events", &self.events)
            .field("clients", &self.clients)
            .field("backfill", &self.backfill)
            // svcgen:anchor config-debug
            .finish()
    }
}

/// One or more environment variables are missing or invalid.
#[derive(Debug, thiserror::Error)]
#[error("invalid configuration:\n{}", .problems.iter().map(|p| format!("  {p}")).collect::<Vec<_>>().join("\n"))]
pub struct ConfigError {
    pub problems: Vec<String>,
}

impl Config {
    /// Reads the process environment.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|key| std::env::var(key).ok())
    }

    /// Reads configuration through `lookup`, so tests need not touch the process environment.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let mut reader = Reader {
            lookup: &lookup,
            problems: Vec::new(),
        };

        let app_env = reader.parse("APP_ENV", AppEnv::Development, |v| v.parse());
        let host = reader.parse("APP_HOST", IpAddr::V4(Ipv4Addr::UNSPECIFIED), |v| {
            v.parse::<IpAddr>()
                .map_err(|_| "expected an IP address such as 0.0.0.0".to_owned())
        });
        let port = reader.parse("APP_PORT", 8081, |v| {
            v.parse::<u16>()
                .map_err(|_| "expected an integer between 0 and 65535".to_owned())
        });
        let request_timeout = reader.parse("REQUEST_TIMEOUT_SECS", 30, positive_integer);
        let body_limit_bytes =
            reader.parse("REQUEST_BODY_LIMIT_BYTES", 1_048_576, positive_integer);
        let shutdown_drain = reader.parse("SHUTDOWN_DRAIN_SECS", 5, |v| {
            v.parse::<u64>()
                .map_err(|_| "expected a non-negative integer".to_owned())
        });
        let connection_defaults = ConnectionLimits::default();
        let header_read_timeout = reader.parse(
            "HTTP_HEADER_READ_TIMEOUT_SECS",
            connection_defaults.header_read_timeout.as_secs(),
            positive_integer,
        );
        let http_max_connections = reader.parse(
            "HTTP_MAX_CONNECTIONS",
            connection_defaults.max_connections as u64,
            positive_integer,
        );
        let max_connections = reader.parse("DATABASE_MAX_CONNECTIONS", 10, positive_integer);
        let acquire_timeout = reader.parse("DATABASE_ACQUIRE_TIMEOUT_SECS", 5, positive_integer);
        let connect_options = match lookup("DATABASE_URL") {
            None => {
                reader.problems.push(
                    "DATABASE_URL: required, e.g. postgres://user:password@host:5432/db".to_owned(),
                );
                None
            }
            // The parser's message may quote the URL, password included: do not pass it on.
            Some(url) => match url.parse::<PgConnectOptions>() {
                Ok(options)
                    if url.starts_with("postgres://") || url.starts_with("postgresql://") =>
                {
                    Some(options)
                }
                _ => {
                    reader.problems.push(
                        "DATABASE_URL: not a valid postgres:// URL (value not shown: it may hold a password)"
                            .to_owned(),
                    );
                    None
                }
            },
        };

        let events = crate::events::config::EventsConfig::read(&mut reader);
        let clients = crate::clients::ClientsConfig::read(&mut reader);
        let backfill = crate::backfill::BackfillConfig::read(&mut reader);
        // svcgen:anchor config-read

        match (connect_options, reader.problems.is_empty()) {
            (Some(connect_options), true) => Ok(Self {
                app_env,
                http: HttpConfig {
                    addr: SocketAddr::new(host, port),
                    request_timeout: Duration::from_secs(request_timeout),
                    body_limit_bytes: usize::try_from(body_limit_bytes).unwrap_or(usize::MAX),
                    shutdown_drain: Duration::from_secs(shutdown_drain),
                },
                connections: ConnectionLimits {
                    header_read_timeout: Duration::from_secs(header_read_timeout),
                    max_connections: usize::try_from(http_max_connections).unwrap_or(usize::MAX),
                },
                database: DatabaseConfig {
                    connect_options,
                    max_connections: u32::try_from(max_connections).unwrap_or(u32::MAX),
                    acquire_timeout: Duration::from_secs(acquire_timeout),
                },
                events,
                clients,
                backfill,
                // svcgen:anchor config-init
            }),
            _ => Err(ConfigError {
                problems: reader.problems,
            }),
        }
    }
}

pub(crate) fn positive_integer(value: &str) -> Result<u64, String> {
    match value.parse::<u64>() {
        Ok(n) if n > 0 => Ok(n),
        _ => Err("expected a positive integer".to_owned()),
    }
}

/// Collects every problem while reading; shared with other modules' settings (`events`).
pub(crate) struct Reader<'a> {
    pub(crate) lookup: &'a dyn Fn(&str) -> Option<String>,
    pub(crate) problems: Vec<String>,
}

impl Reader<'_> {
    /// Returns the parsed value, or `default` when unset; records a problem when invalid.
    pub(crate) fn parse<T>(
        &mut self,
        key: &str,
        default: T,
        parse: impl Fn(&str) -> Result<T, String>,
    ) -> T
    where
        T: Clone,
    {
        let Some(raw) = (self.lookup)(key) else {
            return default;
        };
        match parse(raw.trim()) {
            Ok(value) => value,
            Err(expected) => {
                self.problems
                    .push(format!("{key}: {expected}, got {raw:?}"));
                default
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn config_from(vars: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let vars: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        Config::from_lookup(|key| vars.get(key).cloned())
    }

    #[test]
    fn defaults_apply_when_only_database_url_is_set() {
        let config = config_from(&[("DATABASE_URL", "postgres://app:secret@db:5432/app")])
            .expect("valid config");
        assert_eq!(config.app_env, AppEnv::Development);
        assert_eq!(config.http.addr.port(), 8081);
        assert_eq!(config.http.request_timeout, Duration::from_secs(30));
        assert_eq!(config.database.max_connections, 10);
        assert_eq!(config.connections, ConnectionLimits::default());
    }

    #[test]
    fn connection_limits_are_read_from_the_environment() {
        let config = config_from(&[
            ("DATABASE_URL", "postgres://app@db/app"),
            ("HTTP_HEADER_READ_TIMEOUT_SECS", "3"),
            ("HTTP_MAX_CONNECTIONS", "64"),
        ])
        .expect("valid config");
        assert_eq!(
            config.connections,
            ConnectionLimits {
                header_read_timeout: Duration::from_secs(3),
                max_connections: 64,
            }
        );
        let err = config_from(&[("HTTP_MAX_CONNECTIONS", "0")]).expect_err("invalid");
        assert!(
            err.problems[0].starts_with("HTTP_MAX_CONNECTIONS:"),
            "{err}"
        );
    }

    #[test]
    fn every_bad_value_is_reported_once() {
        let err = config_from(&[
            ("APP_ENV", "staging"),
            ("APP_PORT", "http"),
            ("REQUEST_TIMEOUT_SECS", "0"),
        ])
        .expect_err("invalid config");
        let keys: Vec<&str> = err
            .problems
            .iter()
            .map(|p| p.split(':').next().unwrap_or_default())
            .collect();
        assert_eq!(
            keys,
            [
                "APP_ENV",
                "APP_PORT",
                "REQUEST_TIMEOUT_SECS",
                "DATABASE_URL"
            ]
        );
    }

    #[test]
    fn secrets_never_appear_in_errors_or_debug_output() {
        let err = config_from(&[("DATABASE_URL", "mysql://app:hunter2@db/app")])
            .expect_err("wrong scheme");
        assert!(!err.to_string().contains("hunter2"));

        let config = config_from(&[("DATABASE_URL", "postgres://app:hunter2@db/app")])
            .expect("valid config");
        assert!(!format!("{config:?}").contains("hunter2"));
    }
}
