use std::future::Future;
use std::str::FromStr;
use std::time::Duration;

use async_nats::jetstream;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{AssertSqlSafe, Connection, PgConnection, PgPool};
use uuid::Uuid;

use product::db;
use product::events::config::EventsConfig;
use product::events::nats::{self, Broker};

const DEFAULT_DATABASE_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";
const DEFAULT_NATS_URL: &str = "nats://127.0.0.1:4222";
/// How long a test waits for something asynchronous (a relay round, a consumer) to happen.
pub const PATIENCE: Duration = Duration::from_secs(15);

fn env_or(key: &str, default: &str) -> String {
    let _ = dotenvy::dotenv();
    std::env::var(key).unwrap_or_else(|_| default.to_owned())
}

fn server_options() -> PgConnectOptions {
    PgConnectOptions::from_str(&env_or("DATABASE_URL", DEFAULT_DATABASE_URL))
        .expect("DATABASE_URL is a valid postgres:// URL")
}

/// A freshly migrated database of its own, dropped with this value.
pub struct TestDb {
    pub pool: PgPool,
    name: String,
}

pub async fn fresh_database() -> TestDb {
    let name = format!("test_{}", Uuid::new_v4().simple());
    let mut server = PgConnection::connect_with(&server_options())
        .await
        .expect("connect to the test PostgreSQL server (is it running? see DATABASE_URL)");
    sqlx::query(AssertSqlSafe(format!(r#"create database "{name}""#)))
        .execute(&mut server)
        .await
        .expect("create the test database");
    server.close().await.expect("close the admin connection");
    let pool = PgPoolOptions::new()
        .max_connections(10)
        .connect_with(server_options().database(&name))
        .await
        .expect("connect to the test database");
    db::MIGRATOR.run(&pool).await.expect("run migrations");
    TestDb { pool, name }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let name = std::mem::take(&mut self.name);
        cleanup(async move {
            if let Ok(mut server) = PgConnection::connect_with(&server_options()).await {
                let sql = format!(r#"drop database if exists "{name}" with (force)"#);
                let _ = sqlx::query(AssertSqlSafe(sql)).execute(&mut server).await;
            }
        });
    }
}

/// A NATS connection, and a namespace no other test uses: the streams made under it are
/// deleted with this value.
pub struct TestBroker {
    pub broker: Broker,
    pub jetstream: jetstream::Context,
    pub config: EventsConfig,
}

pub async fn broker() -> TestBroker {
    let mut config = EventsConfig::local(&env_or("NATS_URL", DEFAULT_NATS_URL));
    config.namespace = format!("t{}", Uuid::new_v4().simple());
    let broker = nats::connect(&config).await.expect("a valid NATS_URL");
    wait_for(
        "the NATS connection (is NATS running? see NATS_URL)",
        || async { broker.is_connected().then_some(()) },
    )
    .await;
    TestBroker {
        jetstream: broker.jetstream(),
        broker,
        config,
    }
}

impl TestBroker {
    pub fn naming(&self) -> nats::Naming {
        self.config.naming()
    }

    /// Every message of `service`'s stream under this test's namespace, oldest first.
    pub async fn messages(
        &self,
        service: &str,
    ) -> Vec<async_nats::jetstream::message::StreamMessage> {
        let stream = self
            .jetstream
            .get_stream(self.naming().stream(service))
            .await
            .expect("the stream exists");
        let last = stream
            .get_info()
            .await
            .expect("stream info")
            .state
            .last_sequence;
        let mut messages = Vec::new();
        for sequence in 1..=last {
            if let Ok(message) = stream.get_raw_message(sequence).await {
                messages.push(message);
            }
        }
        messages
    }
}

impl Drop for TestBroker {
    fn drop(&mut self) {
        // A connection of its own: this one's tasks run on the test's runtime, which is blocked
        // until the cleanup is done.
        let url = self.config.nats_url.clone();
        let prefix = format!("{}_", self.config.namespace);
        cleanup(async move {
            use futures_util::TryStreamExt;
            let Ok(client) = async_nats::connect(url).await else {
                return;
            };
            let jetstream = jetstream::new(client);
            let names: Vec<String> = match jetstream.stream_names().try_collect().await {
                Ok(names) => names,
                Err(_) => return,
            };
            for name in names.iter().filter(|name| name.starts_with(&prefix)) {
                let _ = jetstream.delete_stream(name).await;
            }
        });
    }
}

/// Runs `work` to completion on a runtime of its own: `Drop` cannot await.
fn cleanup(work: impl Future<Output = ()> + Send + 'static) {
    let _ = std::thread::spawn(move || {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("build a runtime for cleanup")
            .block_on(work);
    })
    .join();
}

/// Polls `check` until it returns `Some`, for at most [`PATIENCE`].
pub async fn wait_for<T, F, Fut>(what: &str, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let deadline = tokio::time::Instant::now() + PATIENCE;
    loop {
        if let Some(value) = check().await {
            return value;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "gave up waiting for {what} after {PATIENCE:?}"
        );
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}
