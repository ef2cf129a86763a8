//! Running the service: bind, serve, and drain on shutdown.

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::time::Duration;

use axum::Router;
use tokio::net::TcpListener;

use crate::config::{Config, HttpConfig};
use crate::http::AppState;
use crate::lifecycle::{self, Readiness};
use crate::{build_app, db, http};

/// A bound listener and the app behind it; [`Server::run_until`] serves it.
pub struct Server {
    listener: TcpListener,
    app: Router,
    readiness: Readiness,
    drain: Duration,
}

impl Server {
    /// Binds `config.addr` (port 0 picks a free port, as the tests do).
    pub async fn bind(config: &HttpConfig, state: AppState) -> io::Result<Self> {
        let listener = TcpListener::bind(config.addr).await?;
        Ok(Self {
            listener,
            readiness: state.readiness.clone(),
            app: build_app(state, config),
            drain: config.shutdown_drain,
        })
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
        let result = axum::serve(listener, app)
            .with_graceful_shutdown(drained)
            .await;
        upkeep.abort();
        result
    }
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
    // svcgen:anchor serve-start
    let server = Server::bind(&config.http, state).await?;
    tracing::info!(
        addr = %server.local_addr()?,
        db_host = config.database.connect_options.get_host(),
        db_name = config.database.connect_options.get_database(),
        "listening",
    );
    server.run_until(lifecycle::shutdown_signal()).await?;
    // After the HTTP drain, so events written by the last requests are still relayed.
    events.stop().await;
    // svcgen:anchor serve-stop
    pool.close().await;
    tracing::info!("stopped");
    Ok(())
}
