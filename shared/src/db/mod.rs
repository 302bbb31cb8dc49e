//! PostgreSQL access: an r2d2 pool of diesel connections, embedded migrations run at start-up,
//! and [`run`] to execute repository code off the async executor; hand-written SQL that is
//! planned once per connection is a [`Statement`].

mod statement;
pub use statement::{statement, Binds, Statement};

use diesel::pg::PgConnection;
use diesel::r2d2::{ConnectionManager, Pool, PooledConnection};
use diesel::{Connection, RunQueryDsl};
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};
use std::time::Duration;

use crate::problem::ApiError;

pub type PgPool = Pool<ConnectionManager<PgConnection>>;
pub type PgPooled = PooledConnection<ConnectionManager<PgConnection>>;

/// Migrations of the tables the shared crate owns in every service database
/// (`outbox`, `processed_events`).
pub const SHARED_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations");

/// Builds a pool; connections are made lazily so a service starts while PostgreSQL is down and
/// reports it on `/readyz`.
pub fn build_pool(database_url: &str, max_size: u32) -> PgPool {
    Pool::builder()
        .max_size(max_size)
        .min_idle(Some(1))
        .connection_timeout(Duration::from_secs(3))
        .test_on_check_out(false)
        .build_unchecked(ConnectionManager::new(database_url))
}

/// Runs the shared migrations, then the service's own.
/// Replicas starting together on an empty database would race to create the same tables, so
/// migrations run under a session advisory lock: the first replica migrates, the others wait and
/// then find nothing pending.
pub fn migrate(pool: &PgPool, service_migrations: EmbeddedMigrations) -> anyhow::Result<()> {
    /// `pg_advisory_lock` key of migrations ("kd-migr" folded into an i64).
    const MIGRATION_LOCK: i64 = 0x006b_642d_6d69_6772;
    let mut conn = pool.get()?;
    diesel::sql_query(format!("SELECT pg_advisory_lock({MIGRATION_LOCK})")).execute(&mut conn)?;
    let result = [SHARED_MIGRATIONS, service_migrations]
        .into_iter()
        .try_for_each(|set| {
            conn.run_pending_migrations(set)
                .map(drop)
                .map_err(|e| anyhow::anyhow!("migrations failed: {e}"))
        });
    diesel::sql_query(format!("SELECT pg_advisory_unlock({MIGRATION_LOCK})")).execute(&mut conn)?;
    result
}

/// Creates the database named in `database_url` when it does not exist (for `make run` and
/// tests; production databases are provisioned).
pub fn create_database_if_missing(database_url: &str) -> anyhow::Result<()> {
    let (server, name) = database_url
        .rsplit_once('/')
        .ok_or_else(|| anyhow::anyhow!("database url has no database name"))?;
    let name = name.split('?').next().unwrap_or(name);
    anyhow::ensure!(
        !name.is_empty() && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_'),
        "unsupported database name {name:?}"
    );
    let mut admin = PgConnection::establish(&format!("{server}/postgres"))?;
    #[derive(diesel::QueryableByName)]
    struct Exists {
        #[diesel(sql_type = diesel::sql_types::Bool)]
        exists: bool,
    }
    let found: Exists =
        diesel::sql_query("SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1) AS exists")
            .bind::<diesel::sql_types::Text, _>(name)
            .get_result(&mut admin)?;
    if !found.exists {
        // A concurrent creator may win the race; that is fine.
        if let Err(e) = diesel::sql_query(format!("CREATE DATABASE \"{name}\"")).execute(&mut admin)
        {
            tracing::warn!(database = name, error = %e, "CREATE DATABASE failed; assuming it exists");
        }
    }
    Ok(())
}

/// Runs migrations, retrying for up to 30 s while the database is unreachable.
pub async fn migrate_with_retry(
    pool: &PgPool,
    migrations: EmbeddedMigrations,
) -> anyhow::Result<()> {
    let pool = pool.clone();
    tokio::task::spawn_blocking(move || {
        for _ in 0..30 {
            match pool.get() {
                Ok(_) => break,
                Err(e) => {
                    tracing::warn!(error = %e, "database not ready for migrations; retrying");
                    std::thread::sleep(Duration::from_secs(1));
                }
            }
        }
        migrate(&pool, migrations)
    })
    .await?
}

/// Runs `f` with a pooled connection on the blocking thread pool, so diesel never blocks an
/// actix worker.
pub async fn run<T, F>(pool: &PgPool, f: F) -> Result<T, ApiError>
where
    F: FnOnce(&mut PgConnection) -> Result<T, ApiError> + Send + 'static,
    T: Send + 'static,
{
    let pool = pool.clone();
    actix_web::web::block(move || {
        let mut conn = pool.get()?;
        f(&mut conn)
    })
    .await?
}

/// Asks `known` (like [`run`]) every 50 ms until it says yes or `patience` runs out; answers
/// its last word. For what a request names that reaches this service by event from another
/// (a customer file or a shipment created a moment ago): the caller is not refused for being
/// quicker than the broker. Read outside any transaction; the caller decides inside its own.
pub async fn known_soon<F>(pool: &PgPool, patience: Duration, known: F) -> Result<bool, ApiError>
where
    F: Fn(&mut PgConnection) -> diesel::QueryResult<bool> + Clone + Send + 'static,
{
    let step = Duration::from_millis(50);
    let deadline = std::time::Instant::now() + patience;
    loop {
        let ask = known.clone();
        let found = run(pool, move |conn| Ok(ask(conn)?)).await?;
        if found || std::time::Instant::now() + step > deadline {
            return Ok(found);
        }
        tokio::time::sleep(step).await;
    }
}

/// Like [`run`], inside one transaction.
pub async fn transaction<T, F>(pool: &PgPool, f: F) -> Result<T, ApiError>
where
    F: FnOnce(&mut PgConnection) -> Result<T, ApiError> + Send + 'static,
    T: Send + 'static,
{
    run(pool, move |conn| conn.transaction(f)).await
}

/// Like [`transaction`], run again (three times in all, at the most) when PostgreSQL gives it
/// up in a deadlock or a serialization failure — for a write that may meet a background
/// worker's locks in the other order (a failed attempt rolled back, so `f` runs afresh).
pub async fn transaction_retried<T, F>(pool: &PgPool, f: F) -> Result<T, ApiError>
where
    F: Fn(&mut PgConnection) -> Result<T, ApiError> + Send + Sync + 'static,
    T: Send + 'static,
{
    let f = std::sync::Arc::new(f);
    let mut attempt = 1;
    loop {
        let g = f.clone();
        match transaction(pool, move |conn| g(conn)).await {
            Err(e) if e.lost_a_conflict() && attempt < 3 => {
                tracing::info!(attempt, "transaction lost a conflict; running it again");
                tokio::time::sleep(Duration::from_millis(20 * attempt)).await;
                attempt += 1;
            }
            done => return done,
        }
    }
}

/// Like [`run`] for work outside a request (jobs, workers, the bus, start-up), whose errors
/// are `anyhow`.
pub async fn work<T, F>(pool: &PgPool, f: F) -> anyhow::Result<T>
where
    F: FnOnce(&mut PgConnection) -> anyhow::Result<T> + Send + 'static,
    T: Send + 'static,
{
    let pool = pool.clone();
    tokio::task::spawn_blocking(move || {
        let mut conn = pool.get()?;
        f(&mut conn)
    })
    .await?
}

/// `SELECT 1` with a short timeout, for `/readyz`.
pub async fn ping(pool: &PgPool) -> bool {
    let pool = pool.clone();
    tokio::task::spawn_blocking(move || {
        let mut conn = pool.get_timeout(Duration::from_secs(1))?;
        diesel::sql_query("SELECT 1").execute(&mut conn)?;
        Ok::<_, anyhow::Error>(())
    })
    .await
    .map(|r| r.is_ok())
    .unwrap_or(false)
}

#[cfg(test)]
#[path = "conflict_tests.rs"]
mod conflict_tests;
