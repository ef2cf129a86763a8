//! axum's hello world, answering `GET /livez` with the same JSON body as the generated service.
//!
//! usage: bare-axum [ADDR]   (default 127.0.0.1:8090)

use axum::routing::get;
use axum::{Json, Router};
use serde::Serialize;

#[derive(Serialize)]
struct HealthStatus {
    status: &'static str,
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:8090".to_owned());
    let app = Router::new().route(
        "/livez",
        get(|| async { Json(HealthStatus { status: "ok" }) }),
    );
    let listener = tokio::net::TcpListener::bind(&addr).await?;
    axum::serve(listener, app).await
}
