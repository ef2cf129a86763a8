use std::time::Duration;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use tower::ServiceExt;

use catalog::config::HttpConfig;
use catalog::events::nats::{self, Broker};
use catalog::{AppState, build_app};

use crate::support::{TestDb, broker, fresh_database};

async fn readyz(db: &TestDb, broker: Broker) -> StatusCode {
    let config = HttpConfig {
        addr: "127.0.0.1:0".parse().expect("valid address"),
        request_timeout: Duration::from_secs(10),
        body_limit_bytes: 16 * 1024,
        shutdown_drain: Duration::from_millis(100),
    };
    let app = build_app(AppState::new(db.pool.clone()).with_broker(broker), &config);
    let request = Request::get("/readyz")
        .body(Body::empty())
        .expect("request");
    app.oneshot(request).await.expect("infallible").status()
}

#[tokio::test]
async fn readyz_reports_the_broker() {
    let (db, broker) = (fresh_database().await, broker().await);
    assert_eq!(readyz(&db, broker.broker.clone()).await, StatusCode::OK);

    // Nothing listens on port 1.
    let mut unreachable = broker.config.clone();
    unreachable.nats_url = "nats://127.0.0.1:1".to_owned();
    let down = nats::connect(&unreachable).await.expect("a valid URL");
    assert_eq!(readyz(&db, down).await, StatusCode::SERVICE_UNAVAILABLE);
}
