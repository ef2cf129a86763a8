//! Logging set-up: JSON lines in production, human-readable output in development.

use tracing_subscriber::EnvFilter;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

use crate::config::AppEnv;

/// Used when `RUST_LOG` is unset: the service at `info`, chatty dependencies quieter.
const DEFAULT_FILTER: &str = "info,sqlx=warn,tower_http=info";

/// Installs the global subscriber. Call once, before anything logs.
pub fn init(app_env: AppEnv) {
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(DEFAULT_FILTER));
    let registry = tracing_subscriber::registry().with(filter);
    match app_env {
        // One JSON object per line. The fields of the enclosing spans (the request
        // id among them) are repeated on every event so each line stands alone.
        AppEnv::Production => registry
            .with(
                tracing_subscriber::fmt::layer()
                    .json()
                    .flatten_event(true)
                    .with_current_span(false)
                    .with_span_list(true),
            )
            .init(),
        AppEnv::Development => registry
            .with(tracing_subscriber::fmt::layer().pretty())
            .init(),
    }
}
