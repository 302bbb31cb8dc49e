//! Periodic background jobs (sweeps, retries, classification, alerts, purges): one helper so
//! every job gets the same interval with jitter, graceful shutdown, an optional PostgreSQL
//! advisory lock (one replica at a time), logging and metrics. A job's work is a function of
//! "now" taken from the service's [`Clock`], so tests move the clock instead of sleeping.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Bool};
use prometheus::{IntCounterVec, Opts, Registry};
use std::future::Future;
use std::sync::{Arc, LazyLock};
use std::time::Duration;
use tokio::sync::Notify;
use tokio::task::JoinHandle;

use crate::clock::Clock;
use crate::db::{statement, PgPool};
use crate::events::Shutdown;

/// What a job is: its name (logs, metrics, lock key), its period, and whether only one replica
/// may run it at a time.
#[derive(Debug, Clone)]
pub struct Job {
    pub name: &'static str,
    pub every: Duration,
    pub exclusive: bool,
    /// Runs at once when notified (work made due by a request), besides every period.
    pub wake: Option<Arc<Notify>>,
    /// A run that touched at least this many items stopped at its batch limit: the next run
    /// starts at once instead of after the period (a backlog drains in bounded transactions).
    pub batch: Option<usize>,
}

impl Job {
    /// A job every replica may run concurrently.
    pub fn new(name: &'static str, every: Duration) -> Self {
        Self {
            name,
            every,
            exclusive: false,
            wake: None,
            batch: None,
        }
    }

    /// The work handles at most about `limit` items a run; a run that reaches it is followed
    /// at once by the next one.
    pub fn in_batches(mut self, limit: usize) -> Self {
        self.batch = Some(limit);
        self
    }

    /// Also runs as soon as `wake` is notified (`wake.notify_one()`).
    pub fn woken_by(mut self, wake: Arc<Notify>) -> Self {
        self.wake = Some(wake);
        self
    }

    /// Only one replica runs it at a time (PostgreSQL advisory lock keyed by the name).
    pub fn exclusive(mut self) -> Self {
        self.exclusive = true;
        self
    }

    /// The advisory-lock key: a stable 64-bit FNV-1a hash of the job's name.
    pub fn lock_key(&self) -> i64 {
        let hash = self.name.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
        });
        i64::from_ne_bytes(hash.to_ne_bytes())
    }
}

/// How the jobs of a service are scheduled.
#[derive(Clone)]
pub struct Scheduler {
    pub pool: PgPool,
    pub clock: Clock,
    /// When set (tests), every job runs at this interval instead of its own period.
    pub tick: Option<Duration>,
}

/// What a run did.
#[derive(Debug, PartialEq, Eq)]
pub enum Ran {
    /// The job ran and touched this many items.
    Done(usize),
    /// Another replica holds the job's lock.
    Busy,
}

#[derive(QueryableByName)]
struct Locked {
    #[diesel(sql_type = Bool)]
    locked: bool,
}

fn try_xact_lock(conn: &mut PgConnection, key: i64) -> QueryResult<bool> {
    statement("SELECT pg_try_advisory_xact_lock($1) AS locked")
        .bind::<BigInt, _>(key)
        .get_result::<Locked>(conn)
        .map(|l| l.locked)
}

/// Runs database work once, in one transaction, under the job's transaction-scoped advisory lock
/// when the job is exclusive. Blocking: call it from `spawn_blocking` (or use
/// [`Scheduler::run_db`]).
pub fn run_db_once<F>(
    conn: &mut PgConnection,
    job: &Job,
    now: DateTime<Utc>,
    work: &F,
) -> anyhow::Result<Ran>
where
    F: Fn(&mut PgConnection, DateTime<Utc>) -> anyhow::Result<usize>,
{
    conn.transaction(|conn| {
        if job.exclusive && !try_xact_lock(conn, job.lock_key())? {
            return Ok(Ran::Busy);
        }
        work(conn, now).map(Ran::Done)
    })
}

impl Scheduler {
    fn period(&self, job: &Job) -> Duration {
        self.tick.unwrap_or(job.every)
    }

    /// Runs database work once now (on demand, e.g. `POST /customers/classification:run`).
    pub async fn run_db<F>(&self, job: &Job, work: Arc<F>) -> anyhow::Result<Ran>
    where
        F: Fn(&mut PgConnection, DateTime<Utc>) -> anyhow::Result<usize> + Send + Sync + 'static,
    {
        let (job, now) = (job.clone(), self.clock.now());
        crate::db::work(&self.pool, move |conn| {
            run_db_once(conn, &job, now, work.as_ref())
        })
        .await
    }

    /// Starts a job whose work is a database transaction, every period until shutdown.
    pub fn spawn_db<F>(&self, job: Job, shutdown: Shutdown, work: F) -> JoinHandle<()>
    where
        F: Fn(&mut PgConnection, DateTime<Utc>) -> anyhow::Result<usize> + Send + Sync + 'static,
    {
        let work = Arc::new(work);
        let this = self.clone();
        self.spawn(job.clone(), shutdown, move |_| {
            let (this, job, work) = (this.clone(), job.clone(), work.clone());
            async move { this.run_db(&job, work).await }
        })
    }

    /// Starts a job with asynchronous work (e.g. HTTP deliveries), every period until shutdown.
    /// An exclusive job holds a session advisory lock on a pooled connection while it runs.
    pub fn spawn_async<F, Fut>(&self, job: Job, shutdown: Shutdown, work: F) -> JoinHandle<()>
    where
        F: Fn(DateTime<Utc>) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = anyhow::Result<usize>> + Send + 'static,
    {
        let this = self.clone();
        self.spawn(job.clone(), shutdown, move |now| {
            let fut = work(now);
            let (this, job) = (this.clone(), job.clone());
            async move {
                if !job.exclusive {
                    return fut.await.map(Ran::Done);
                }
                let Some(lock) = SessionLock::try_take(this.pool.clone(), job.lock_key()).await?
                else {
                    return Ok(Ran::Busy);
                };
                let result = fut.await;
                lock.release().await;
                result.map(Ran::Done)
            }
        })
    }

    fn spawn<F, Fut>(&self, job: Job, mut shutdown: Shutdown, run: F) -> JoinHandle<()>
    where
        F: Fn(DateTime<Utc>) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = anyhow::Result<Ran>> + Send + 'static,
    {
        let period = self.period(&job);
        let clock = self.clock.clone();
        let wake = job.wake.clone().unwrap_or_default();
        tokio::spawn(async move {
            let mut more = false;
            loop {
                // ±10 % jitter so replicas started together do not run in lockstep.
                let jitter = 0.9 + 0.2 * rand::random::<f64>();
                let wait = if more {
                    Duration::ZERO
                } else {
                    period.mul_f64(jitter)
                };
                tokio::select! {
                    _ = tokio::time::sleep(wait) => {}
                    _ = wake.notified() => {}
                    _ = shutdown.changed() => return,
                }
                if *shutdown.borrow() {
                    return;
                }
                JOBS.runs.with_label_values(&[job.name]).inc();
                let ran = run(clock.now()).await;
                more = matches!((&ran, job.batch), (Ok(Ran::Done(n)), Some(limit)) if *n >= limit);
                match ran {
                    Ok(Ran::Done(n)) => {
                        JOBS.items.with_label_values(&[job.name]).inc_by(n as u64);
                        if n > 0 {
                            tracing::info!(job = job.name, items = n, "job ran");
                        }
                    }
                    Ok(Ran::Busy) => {
                        tracing::debug!(job = job.name, "job running on another replica")
                    }
                    Err(e) => {
                        JOBS.failures.with_label_values(&[job.name]).inc();
                        tracing::warn!(job = job.name, error = %e, "job failed; retrying next period");
                    }
                }
            }
        })
    }
}

/// A session-level advisory lock held on its own pooled connection.
struct SessionLock {
    conn: crate::db::PgPooled,
    key: i64,
}

impl SessionLock {
    async fn try_take(pool: PgPool, key: i64) -> anyhow::Result<Option<Self>> {
        tokio::task::spawn_blocking(move || {
            let mut conn = pool.get()?;
            let locked: Locked = statement("SELECT pg_try_advisory_lock($1) AS locked")
                .bind::<BigInt, _>(key)
                .get_result(&mut conn)?;
            Ok(locked.locked.then_some(Self { conn, key }))
        })
        .await?
    }

    async fn release(mut self) {
        let _ = tokio::task::spawn_blocking(move || {
            statement("SELECT pg_advisory_unlock($1)")
                .bind::<BigInt, _>(self.key)
                .execute(&mut self.conn)
        })
        .await;
    }
}

/// Prometheus counters of the jobs, labelled by job name.
pub struct JobMetrics {
    pub runs: IntCounterVec,
    pub items: IntCounterVec,
    pub failures: IntCounterVec,
}

fn counter(name: &str, help: &str) -> IntCounterVec {
    // Names and labels are constants: construction cannot fail.
    IntCounterVec::new(Opts::new(name, help), &["job"]).unwrap_or_else(|e| panic!("{e}"))
}

pub static JOBS: LazyLock<JobMetrics> = LazyLock::new(|| JobMetrics {
    runs: counter("kuaidi_job_runs_total", "Runs of a background job"),
    items: counter(
        "kuaidi_job_items_total",
        "Items a background job touched (rows swept, purged, classified...)",
    ),
    failures: counter(
        "kuaidi_job_failures_total",
        "Failed runs of a background job",
    ),
});

/// Registers the job metrics in an application's registry.
pub fn register(registry: &Registry) {
    let m = &*JOBS;
    for c in [&m.runs, &m.items, &m.failures] {
        let _ = registry.register(Box::new(c.clone()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lock_keys_are_stable_and_distinct() {
        let a = Job::new("sla_sweep", Duration::from_secs(60));
        let b = Job::new("expired_sweep", Duration::from_secs(60));
        assert_eq!(a.lock_key(), a.clone().exclusive().lock_key());
        assert_ne!(a.lock_key(), b.lock_key());
        // FNV-1a of the empty string is the offset basis.
        assert_eq!(
            Job::new("", Duration::ZERO).lock_key() as u64,
            0xcbf2_9ce4_8422_2325
        );
    }

    /// A job in batches drains a backlog run after run, without waiting its (hour-long)
    /// period between them, and then waits again.
    #[tokio::test]
    async fn a_run_that_fills_its_batch_is_followed_at_once_by_the_next() {
        use std::sync::atomic::{AtomicUsize, Ordering};
        let pool = crate::db::build_pool("postgres://unused@127.0.0.1:1/unused", 1);
        let scheduler = Scheduler {
            pool,
            clock: Clock::system(),
            tick: None,
        };
        let backlog = Arc::new(AtomicUsize::new(7));
        let runs = Arc::new(AtomicUsize::new(0));
        let wake = Arc::new(Notify::new());
        let job = Job::new("batch_test", Duration::from_secs(3600))
            .in_batches(2)
            .woken_by(wake.clone());
        let (stop, shutdown) = tokio::sync::watch::channel(false);
        let (b, r) = (backlog.clone(), runs.clone());
        let task = scheduler.spawn_async(job, shutdown, move |_| {
            let (b, r) = (b.clone(), r.clone());
            async move {
                r.fetch_add(1, Ordering::SeqCst);
                let left = b.load(Ordering::SeqCst);
                let take = left.min(2);
                b.store(left - take, Ordering::SeqCst);
                Ok(take)
            }
        });
        wake.notify_one();
        let drained = tokio::time::timeout(Duration::from_secs(10), async {
            while backlog.load(Ordering::SeqCst) > 0 {
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
        })
        .await;
        assert!(
            drained.is_ok(),
            "the backlog drained without waiting the period"
        );
        // 2 + 2 + 2 + 1: the fourth run fell short of its batch, so the job waits its hour.
        tokio::time::sleep(Duration::from_millis(100)).await;
        assert_eq!(runs.load(Ordering::SeqCst), 4);
        let _ = stop.send(true);
        task.await.expect("the job stops");
    }
}
