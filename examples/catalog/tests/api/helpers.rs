use std::str::FromStr;
use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::http::{HeaderMap, Request, StatusCode};
use serde_json::Value;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{AssertSqlSafe, Connection, PgConnection};
use tower::ServiceExt;
use uuid::Uuid;

use catalog::config::HttpConfig;
use catalog::{AppState, build_app, db};

const DEFAULT_DATABASE_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";

/// The server the tests create their databases on: DATABASE_URL (from the
/// environment or `.env`), else a local PostgreSQL with trust authentication.
pub fn server_options() -> PgConnectOptions {
    let _ = dotenvy::dotenv();
    let url = std::env::var("DATABASE_URL").unwrap_or_else(|_| DEFAULT_DATABASE_URL.to_owned());
    PgConnectOptions::from_str(&url).expect("DATABASE_URL is a valid postgres:// URL")
}

pub fn http_config() -> HttpConfig {
    HttpConfig {
        addr: "127.0.0.1:0".parse().expect("valid address"),
        request_timeout: Duration::from_secs(10),
        body_limit_bytes: 16 * 1024,
        shutdown_drain: Duration::from_millis(500),
    }
}

/// The application over its own, freshly migrated database, dropped with it.
pub struct TestApp {
    pub state: AppState,
    pub router: Router,
    database: String,
}

/// With `TEST_LOG` set (`TEST_LOG=1 cargo test`), the service's logs go to each test's output,
/// which cargo shows for the tests that fail; `RUST_LOG` filters them (default `info`).
/// Without it the tests stay quiet.
fn init_test_logs() {
    static INIT: std::sync::Once = std::sync::Once::new();
    INIT.call_once(|| {
        if std::env::var_os("TEST_LOG").is_some() {
            let filter = tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
            // Another test harness may have installed one first: theirs stays.
            let _ = tracing_subscriber::fmt()
                .with_env_filter(filter)
                .with_test_writer()
                .try_init();
        }
    });
}

pub async fn spawn_app() -> TestApp {
    init_test_logs();
    let database = format!("test_{}", Uuid::new_v4().simple());
    let mut server = PgConnection::connect_with(&server_options())
        .await
        .expect("connect to the test PostgreSQL server (is it running? see DATABASE_URL)");
    sqlx::query(AssertSqlSafe(format!(r#"create database "{database}""#)))
        .execute(&mut server)
        .await
        .expect("create the test database");
    server.close().await.expect("close the admin connection");

    let pool = PgPoolOptions::new()
        .max_connections(5)
        .connect_with(server_options().database(&database))
        .await
        .expect("connect to the test database");
    db::MIGRATOR.run(&pool).await.expect("run migrations");

    let state = AppState::new(pool);
    TestApp {
        router: build_app(state.clone(), &http_config()),
        state,
        database,
    }
}

impl Drop for TestApp {
    /// Drops the test database; a separate thread because `Drop` cannot await.
    fn drop(&mut self) {
        let database = std::mem::take(&mut self.database);
        let _ = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("build a runtime for cleanup");
            runtime.block_on(async {
                if let Ok(mut server) = PgConnection::connect_with(&server_options()).await {
                    let sql = format!(r#"drop database if exists "{database}" with (force)"#);
                    let _ = sqlx::query(AssertSqlSafe(sql)).execute(&mut server).await;
                }
            });
        })
        .join();
    }
}

pub struct TestResponse {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl TestResponse {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|err| {
            panic!(
                "body is not JSON ({err}): {}",
                String::from_utf8_lossy(&self.body)
            )
        })
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// Asserts an RFC 9457 problem with this status and code; returns its body.
    pub fn assert_problem(&self, status: StatusCode, code: &str) -> Value {
        assert_eq!(self.status, status, "body: {}", self.text());
        assert_eq!(
            self.header("content-type"),
            Some("application/problem+json")
        );
        let problem = self.json();
        assert_eq!(problem["type"], "about:blank");
        assert_eq!(problem["status"], status.as_u16());
        assert_eq!(
            problem["title"],
            status.canonical_reason().unwrap_or_default()
        );
        assert_eq!(problem["code"], code, "problem: {problem}");
        assert!(problem["detail"].is_string());
        problem
    }
}

/// Sends `request` through `router` without a socket.
pub async fn send(router: &Router, request: Request<Body>) -> TestResponse {
    let response = router
        .clone()
        .oneshot(request)
        .await
        .expect("the router is infallible");
    let (parts, body) = response.into_parts();
    let body = axum::body::to_bytes(body, usize::MAX)
        .await
        .expect("read the response body");
    TestResponse {
        status: parts.status,
        headers: parts.headers,
        body,
    }
}

impl TestApp {
    pub async fn request(&self, request: Request<Body>) -> TestResponse {
        send(&self.router, request).await
    }

    pub async fn get(&self, uri: &str) -> TestResponse {
        self.request(
            Request::get(uri)
                .body(Body::empty())
                .expect("valid request"),
        )
        .await
    }
}
