//! Limits below HTTP, over real sockets: clients that hold connections
//! without sending requests are dropped, and the number of connections is capped.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use product::config::ConnectionLimits;
use product::server::Server;

use crate::helpers::{TestApp, http_config, spawn_app};

const REQUEST: &[u8] = b"GET /livez HTTP/1.1\r\nhost: test\r\nconnection: close\r\n\r\n";

/// Serves `app` with `limits` on a free port until the test ends.
async fn serve(app: &TestApp, limits: ConnectionLimits) -> SocketAddr {
    let server = Server::bind(&http_config(), app.state.clone())
        .await
        .expect("bind port 0")
        .with_connection_limits(limits);
    let addr = server.local_addr().expect("bound address");
    tokio::spawn(server.run_until(std::future::pending()));
    addr
}

/// Everything the server sends until it closes the connection, or `None` if it
/// is still open after `wait`.
async fn read_until_closed(stream: &mut TcpStream, wait: Duration) -> Option<String> {
    let mut received = Vec::new();
    match tokio::time::timeout(wait, stream.read_to_end(&mut received)).await {
        Ok(_) => Some(String::from_utf8_lossy(&received).into_owned()),
        Err(_) => None,
    }
}

#[tokio::test]
async fn a_client_sending_its_headers_too_slowly_is_disconnected() {
    let app = spawn_app().await;
    let addr = serve(
        &app,
        ConnectionLimits {
            header_read_timeout: Duration::from_millis(500),
            ..ConnectionLimits::default()
        },
    )
    .await;
    let mut stream = TcpStream::connect(addr).await.expect("connect");
    let started = Instant::now();

    // A byte every 100 ms: each arrives well within any per-read timeout.
    for byte in &REQUEST[..30] {
        if stream.write_all(&[*byte]).await.is_err() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let closed = read_until_closed(&mut stream, Duration::from_secs(3)).await;

    assert!(closed.is_some(), "still open after {:?}", started.elapsed());
    assert!(started.elapsed() < Duration::from_secs(4));
}

#[tokio::test]
async fn an_idle_connection_is_closed_after_the_header_read_timeout() {
    let app = spawn_app().await;
    let addr = serve(
        &app,
        ConnectionLimits {
            header_read_timeout: Duration::from_millis(300),
            ..ConnectionLimits::default()
        },
    )
    .await;
    let mut stream = TcpStream::connect(addr).await.expect("connect");

    let closed = read_until_closed(&mut stream, Duration::from_secs(3)).await;

    assert_eq!(
        closed.as_deref(),
        Some(""),
        "the server sent nothing and closed"
    );
}

#[tokio::test]
async fn connections_over_the_limit_wait_until_one_closes() {
    let app = spawn_app().await;
    let addr = serve(
        &app,
        ConnectionLimits {
            header_read_timeout: Duration::from_secs(30),
            max_connections: 1,
        },
    )
    .await;
    let holder = TcpStream::connect(addr).await.expect("connect");
    // Let the server accept the holder before the next connection arrives.
    tokio::time::sleep(Duration::from_millis(100)).await;
    let mut waiting = TcpStream::connect(addr)
        .await
        .expect("the backlog takes it");
    waiting.write_all(REQUEST).await.expect("send a request");

    let early = read_until_closed(&mut waiting, Duration::from_millis(500)).await;
    assert_eq!(early, None, "served although the only slot is taken");

    drop(holder);
    let answer = read_until_closed(&mut waiting, Duration::from_secs(3))
        .await
        .expect("served once the slot is free");
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
}
