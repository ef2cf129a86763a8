//! Running the service: bind, serve, and drain on shutdown.
//!
//! The accept loop is hyper's own rather than `axum::serve`, which has no
//! header-read timeout and no connection limit: a client sending its headers a
//! byte at a time, or opening connections and sending nothing, would hold them
//! for ever (see [`ConnectionLimits`]).

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::pin;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::Request;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, watch};
use tower::ServiceExt;

use crate::config::{Config, ConnectionLimits, HttpConfig};
use crate::http::AppState;
use crate::lifecycle::{self, Readiness};
use crate::{build_app, db, http};

/// A bound listener and the app behind it; [`Server::run_until`] serves it.
pub struct Server {
    listener: TcpListener,
    app: Router,
    readiness: Readiness,
    drain: Duration,
    limits: ConnectionLimits,
}

impl Server {
    /// Binds `config.addr` (port 0 picks a free port, as the tests do), with
    /// the default [`ConnectionLimits`].
    pub async fn bind(config: &HttpConfig, state: AppState) -> io::Result<Self> {
        let listener = TcpListener::bind(config.addr).await?;
        Ok(Self {
            listener,
            readiness: state.readiness.clone(),
            app: build_app(state, config),
            drain: config.shutdown_drain,
            limits: ConnectionLimits::default(),
        })
    }

    pub fn with_connection_limits(mut self, limits: ConnectionLimits) -> Self {
        self.limits = limits;
        self
    }

    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// Serves until `shutdown` completes, then fails readiness and keeps serving
    /// for the drain period (so load balancers stop sending traffic), then stops
    /// accepting connections and waits for in-flight requests.
    pub async fn run_until(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> io::Result<()> {
        let Self {
            listener,
            app,
            readiness,
            drain,
            limits,
        } = self;
        let upkeep = http::metrics::spawn_upkeep();
        let drained = async move {
            shutdown.await;
            readiness.begin_draining();
            tracing::info!(
                drain_secs = drain.as_secs(),
                "shutting down: readiness fails while draining"
            );
            tokio::time::sleep(drain).await;
            tracing::info!("drain over: finishing in-flight requests");
        };
        serve(listener, app, limits, drained).await;
        upkeep.abort();
        Ok(())
    }
}

/// Accepts connections while fewer than `limits.max_connections` are open,
/// until `shutdown` completes; then asks every connection to finish its
/// request in flight and close, and returns once all have.
async fn serve(
    listener: TcpListener,
    app: Router,
    limits: ConnectionLimits,
    shutdown: impl Future<Output = ()>,
) {
    let slots = Arc::new(Semaphore::new(limits.max_connections));
    // `true` once shutdown began; every connection task holds a receiver, so
    // `closed()` on the sender tells when the last one has finished.
    let (stopping, stop) = watch::channel(false);
    let mut shutdown = pin!(shutdown);
    loop {
        let slot = tokio::select! {
            slot = slots.clone().acquire_owned() => slot.expect("the semaphore is never closed"),
            () = &mut shutdown => break,
        };
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            () = &mut shutdown => break,
        };
        match accepted {
            Ok((stream, _)) => {
                tokio::spawn(serve_connection(
                    stream,
                    app.clone(),
                    limits.header_read_timeout,
                    stop.clone(),
                    slot,
                ));
            }
            Err(err) => wait_after_accept_error(&err).await,
        }
    }
    drop(listener);
    drop(stop);
    let _ = stopping.send(true);
    stopping.closed().await;
}

/// Serves one connection until the client closes it, it breaks a limit, or
/// shutdown begins (then the request in flight is finished first). Its `slot`
/// is given back when it ends.
async fn serve_connection(
    stream: TcpStream,
    app: Router,
    header_read_timeout: Duration,
    mut stop: watch::Receiver<bool>,
    _slot: OwnedSemaphorePermit,
) {
    let service = TowerToHyperService::new(
        app.map_request(|request: Request<Incoming>| request.map(Body::new)),
    );
    let mut builder = hyper::server::conn::http1::Builder::new();
    // The timeout runs from the moment the connection waits for a request's
    // head: it also closes connections left idle between requests.
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(header_read_timeout);
    let mut connection = pin!(
        builder
            .serve_connection(TokioIo::new(stream), service)
            .with_upgrades()
    );
    let result = tokio::select! {
        result = connection.as_mut() => result,
        () = async { let _ = stop.wait_for(|stopping| *stopping).await; } => {
            connection.as_mut().graceful_shutdown();
            connection.await
        }
    };
    if let Err(err) = result {
        // Timeouts and clients that went away: theirs, not the service's, problem.
        tracing::debug!(error = %err, "connection closed with an error");
    }
}

/// Errors of one connection (reset before it was accepted, ...) are the
/// client's; others (out of file descriptors, ...) would repeat at once, so
/// they are logged and the loop pauses, as `axum::serve` does.
async fn wait_after_accept_error(err: &io::Error) {
    use io::ErrorKind::{ConnectionAborted, ConnectionRefused, ConnectionReset};
    if matches!(
        err.kind(),
        ConnectionRefused | ConnectionAborted | ConnectionReset
    ) {
        return;
    }
    tracing::error!(error = %err, "accepting a connection failed; retrying in 1 s");
    tokio::time::sleep(Duration::from_secs(1)).await;
}

/// `serve`: runs the service until SIGTERM or Ctrl-C.
pub async fn run(config: Config) -> io::Result<()> {
    let pool = db::connect_lazy(&config.database);
    let state = AppState::new(pool.clone());
    // Connects to NATS in the background and starts the relay and consumers.
    let events = crate::events::start(&config.events, &pool)
        .await
        .map_err(io::Error::other)?;
    let state = state.with_broker(events.broker());
    // Beside the consumer: events applied meanwhile are kept, the backfill never goes back on them.
    let backfill = crate::backfill::spawn_on_start(&config, &pool).map_err(io::Error::other)?;
    // svcgen:anchor serve-start
    let server = Server::bind(&config.http, state)
        .await?
        .with_connection_limits(config.connections);
    tracing::info!(
        addr = %server.local_addr()?,
        db_host = config.database.connect_options.get_host(),
        db_name = config.database.connect_options.get_database(),
        "listening",
    );
    server.run_until(lifecycle::shutdown_signal()).await?;
    if let Some(backfill) = backfill.filter(|task| !task.is_finished()) {
        backfill.abort();
        tracing::info!("backfill stopped before it finished: the next start runs it again");
    }
    // After the HTTP drain, so events written by the last requests are still relayed.
    events.stop().await;
    // svcgen:anchor serve-stop
    pool.close().await;
    tracing::info!("stopped");
    Ok(())
}
