//! The `expired` sweep (SPEC §5): a live shipment with no event for 30 days *default*
//! ([`ExpiryRules`]) is expired. The service's scheduler runs it hourly on every replica, each run
//! a transaction under the job's advisory lock, so one replica sweeps at a time; the replica that
//! swept forgets the expired numbers in its tracking caches once the transaction has ended.

use chrono::{DateTime, SubsecRound, Utc};
use diesel::prelude::*;
use kuaidi_shared::db::{self, PgPool};
use kuaidi_shared::events::{CloudEvent, Outbox};
use kuaidi_shared::jobs::{run_db_once, Job, Ran};
use kuaidi_shared::request::RequestContext;
use std::cell::RefCell;
use std::time::Duration;

use crate::db::tracking_cache::Caches;
use crate::db::tracking_events as repo;
use crate::domain::tracking::ExpiryRules;
use crate::events::tracking::expired;
use crate::events::Emitter;

/// How often the sweep runs.
pub const PERIOD: Duration = Duration::from_secs(3600);
/// The job's name: its metrics' label and its advisory lock's key.
const NAME: &str = "shipments_expiry";
/// Shipments expired per statement, to bound each statement's work.
const CHUNK: i64 = 1000;

/// The sweep's schedule. Not exclusive itself (the scheduler would hold a session lock on one
/// connection while [`run`] asks for the same key on another): [`run`] takes the lock.
pub fn job() -> Job {
    Job::new(NAME, PERIOD)
}

/// One run of the sweep at `now`: its transaction under the job's exclusive lock (nothing when
/// another replica holds it), then this replica forgets what it expired — the other replicas
/// hear it from the listener. Returns how many were expired.
pub async fn run(
    pool: PgPool,
    now: DateTime<Utc>,
    rules: ExpiryRules,
    caches: Caches,
) -> anyhow::Result<usize> {
    let (ran, swept) = db::work(&pool, move |conn| {
        let swept = RefCell::new(Vec::new());
        let ran = run_db_once(conn, &job().exclusive(), now, &|conn, now| {
            let expired = sweep_expired(conn, now, &rules)?;
            let n = expired.len();
            *swept.borrow_mut() = expired;
            Ok(n)
        });
        Ok((ran, swept.into_inner()))
    })
    .await?;
    // Also when the commit failed: forgetting what did not change costs one load.
    caches.forget(&swept);
    match ran? {
        Ran::Done(n) => Ok(n),
        Ran::Busy => Ok(0),
    }
}

/// Expires every live shipment idle since before `now - rules.expire_after()` and writes its
/// `shipment.status_changed`, in the caller's transaction; returns the tracking numbers expired.
pub fn sweep_expired(
    conn: &mut PgConnection,
    now: DateTime<Utc>,
    rules: &ExpiryRules,
) -> QueryResult<Vec<String>> {
    let ctx = RequestContext::detached();
    // To the microsecond stored: the event's `occurred_at` is the `updated_at` a read shows.
    let now = now.trunc_subsecs(6);
    let mut swept = Vec::new();
    loop {
        let rows = repo::expire_idle(conn, now - rules.expire_after(), now, CHUNK)?;
        let emit = Emitter { ctx: &ctx, now };
        let events: Vec<CloudEvent> = rows.iter().map(|r| expired(&emit, r)).collect();
        Outbox::enqueue_all(conn, &events)?;
        let full = rows.len() as i64 >= CHUNK;
        swept.extend(rows.into_iter().map(|r| r.tracking_number));
        if !full {
            return Ok(swept);
        }
    }
}
