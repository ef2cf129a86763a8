//! Database access: the connection pool, embedded migrations and one module of
//! queries per table. Queries are checked at run time (`query_as` + `FromRow`),
//! so the service builds without a database; the tests run them for real.

// One module per table.
pub mod products;

use sqlx::migrate::Migrator;
use sqlx::postgres::{PgPool, PgPoolOptions};

use crate::config::DatabaseConfig;

/// The SQL files in `migrations/`, compiled into the binary.
pub static MIGRATOR: Migrator = sqlx::migrate!();

/// Creates the pool without connecting, so the service starts (and reports
/// not-ready) while the database is still coming up.
pub fn connect_lazy(config: &DatabaseConfig) -> PgPool {
    PgPoolOptions::new()
        .max_connections(config.max_connections)
        .acquire_timeout(config.acquire_timeout)
        .connect_lazy_with(config.connect_options.clone())
}

/// Cheapest round trip that proves the database answers.
pub async fn ping(pool: &PgPool) -> Result<(), sqlx::Error> {
    sqlx::query("select 1").execute(pool).await.map(drop)
}

/// `migrate`: applies pending migrations over a single connection.
pub async fn migrate(config: &DatabaseConfig) -> Result<(), sqlx::migrate::MigrateError> {
    let pool = PgPoolOptions::new()
        .max_connections(1)
        .acquire_timeout(config.acquire_timeout)
        .connect_with(config.connect_options.clone())
        .await?;
    MIGRATOR.run(&pool).await?;
    pool.close().await;
    tracing::info!("migrations applied");
    Ok(())
}
