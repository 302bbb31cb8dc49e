//! Bounded bus tables (SPEC §10): every backend service deletes published outbox rows and
//! processed-event records once they are older than their retention, in small batches (one
//! short statement each, so no long transaction holds locks or bloats the table), on one replica
//! at a time. Rows removed are counted in `kuaidi_job_items_total{job}`.

use chrono::{DateTime, Duration as Age, Utc};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Timestamptz};
use serde::Deserialize;
use std::time::Duration;
use tokio::task::JoinHandle;

use super::Shutdown;
use crate::db::PgPool;
use crate::jobs::{Job, Scheduler};

/// How long the bus tables keep rows (`KUAIDI_<SERVICE>__RETENTION__<KEY>`).
#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct RetentionSettings {
    /// Published outbox rows are deleted after this many days (unpublished ones never).
    pub outbox_days: u32,
    /// Processed-event records are deleted after this many days: longer than any redelivery,
    /// so a duplicate still finds its record.
    pub processed_events_days: u32,
    /// Rows per DELETE statement.
    pub batch_size: u32,
    /// How often each purge runs (seconds).
    pub every_secs: u64,
}

impl Default for RetentionSettings {
    fn default() -> Self {
        Self {
            outbox_days: 7,
            processed_events_days: 30,
            batch_size: 1000,
            every_secs: 3600,
        }
    }
}

/// One purge: a job name (logs, metrics, lock key), how old rows must be, and the statement
/// deleting one batch of rows older than `$1` (a timestamp), at most `$2` (a row count). Other
/// bounded tables (webhook deliveries, idempotency keys, the audit log) reuse it with their own
/// statement through [`spawn_purges`].
pub struct Purge {
    pub job: &'static str,
    pub max_age: Age,
    pub sql: &'static str,
}

const OUTBOX_SQL: &str = "DELETE FROM outbox WHERE id IN (\
    SELECT id FROM outbox WHERE published_at < $1 ORDER BY id LIMIT $2)";

const PROCESSED_SQL: &str = "DELETE FROM processed_events WHERE (event_id, consumer) IN (\
    SELECT event_id, consumer FROM processed_events WHERE processed_at < $1 \
    ORDER BY processed_at LIMIT $2)";

/// Starts the two purges of the bus tables; they stop with the service.
pub fn spawn(
    sched: &Scheduler,
    settings: &RetentionSettings,
    shutdown: Shutdown,
) -> Vec<JoinHandle<()>> {
    let purges = vec![
        Purge {
            job: "outbox_purge",
            max_age: Age::days(i64::from(settings.outbox_days)),
            sql: OUTBOX_SQL,
        },
        Purge {
            job: "processed_events_purge",
            max_age: Age::days(i64::from(settings.processed_events_days)),
            sql: PROCESSED_SQL,
        },
    ];
    spawn_purges(sched, purges, settings, shutdown)
}

/// Starts each purge as an exclusive job (one replica at a time) every `settings.every_secs`,
/// deleting `settings.batch_size` rows per statement.
pub fn spawn_purges(
    sched: &Scheduler,
    purges: Vec<Purge>,
    settings: &RetentionSettings,
    shutdown: Shutdown,
) -> Vec<JoinHandle<()>> {
    let (every, batch) = (
        Duration::from_secs(settings.every_secs),
        settings.batch_size.max(1),
    );
    purges
        .into_iter()
        .map(|p| {
            let pool = sched.pool.clone();
            let job = Job::new(p.job, every).exclusive();
            sched.spawn_async(job, shutdown.clone(), move |now| {
                let (pool, cutoff) = (pool.clone(), now - p.max_age);
                async move { purge(pool, p.sql, cutoff, batch).await }
            })
        })
        .collect()
}

/// Deletes batch after batch (each its own statement and transaction) until a batch comes back
/// short; returns the rows removed.
async fn purge(
    pool: PgPool,
    sql: &'static str,
    cutoff: DateTime<Utc>,
    batch: u32,
) -> anyhow::Result<usize> {
    tokio::task::spawn_blocking(move || {
        let mut conn = pool.get()?;
        let mut removed = 0;
        loop {
            let n = diesel::sql_query(sql)
                .bind::<Timestamptz, _>(cutoff)
                .bind::<BigInt, _>(i64::from(batch))
                .execute(&mut conn)?;
            removed += n;
            if n < batch as usize {
                return Ok(removed);
            }
        }
    })
    .await?
}
