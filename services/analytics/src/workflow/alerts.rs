//! The early-warning job: every 5 minutes, one replica at a time; each alert it raises is
//! announced in the same transaction.

use kuaidi_shared::events::{Outbox, Shutdown};
use kuaidi_shared::jobs::{Job, Scheduler};
use std::time::Duration;
use tokio::task::JoinHandle;

use crate::domain::alerts::AlertRules;
use crate::events::alerts::alert_raised;

/// The job's schedule.
pub fn job() -> Job {
    Job::new("analytics_early_warning", Duration::from_secs(300)).exclusive()
}

/// Starts the early-warning job: raises an alert per condition held today (once per day).
pub fn early_warning(
    sched: &Scheduler,
    rules: AlertRules,
    outbox: Outbox,
    stopping: Shutdown,
) -> JoinHandle<()> {
    sched.spawn_db(job(), stopping, move |conn, now| {
        let raised = crate::db::alerts::raise(conn, &rules, now)?;
        if raised.is_empty() {
            return Ok(0);
        }
        let events: Vec<_> = raised.iter().map(alert_raised).collect();
        Outbox::enqueue_all(conn, &events)?;
        outbox.wake();
        Ok(raised.len())
    })
}
