//! The early-warning job: every `[alerts] interval_secs` (default a minute), and soon after the
//! consumers change what its rules read (complaints received or recategorised, deliveries), one
//! replica at a time; each alert it raises is announced in the same transaction.
//!
//! The consumers tell [`FactsChanged`] at the end of a run of events, inside the transaction
//! that commits them a moment later; the job is woken `debounce_ms` after that (so the commit
//! is in, and a burst of events makes one run), and woken again while it has not run since —
//! another replica held its lock — or more facts came. The period stays the backstop.

use kuaidi_shared::events::{Outbox, Shutdown};
use kuaidi_shared::jobs::{Job, Scheduler};
use serde::Deserialize;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Notify;
use tokio::task::JoinHandle;

use crate::domain::alerts::AlertRules;
use crate::events::alerts::alert_raised;

/// When the job runs (`[alerts]`, `KUAIDI_ANALYTICS__ALERTS__INTERVAL_SECS`, `..._DEBOUNCE_MS`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct Schedule {
    /// The period of the job (at least a second).
    pub interval_secs: u64,
    /// How long after the facts changed the job runs.
    pub debounce_ms: u64,
}

impl Default for Schedule {
    fn default() -> Self {
        Self {
            interval_secs: 60,
            debounce_ms: 1000,
        }
    }
}

impl Schedule {
    fn every(&self) -> Duration {
        Duration::from_secs(self.interval_secs.max(1))
    }

    fn debounce(&self) -> Duration {
        Duration::from_millis(self.debounce_ms)
    }
}

/// Wakings of a run the job has not made yet before the period is left to catch up.
const WAKINGS: usize = 10;

/// What the consumers tell the job: the facts its rules read changed.
#[derive(Debug, Default)]
pub struct FactsChanged {
    told: Notify,
    /// Told since the job last began a run.
    pending: AtomicBool,
}

impl FactsChanged {
    /// The facts changed (a complaint received, a delivery...): the job runs soon.
    pub fn tell(&self) {
        self.pending.store(true, Ordering::Release);
        self.told.notify_one();
    }

    /// Wakes `job` `debounce` after each telling, and again while no run has begun since.
    fn relay(self: Arc<Self>, job: Arc<Notify>, debounce: Duration, mut stopping: Shutdown) {
        tokio::spawn(async move {
            loop {
                tokio::select! {
                    _ = self.told.notified() => {}
                    _ = stopping.changed() => return,
                }
                for _ in 0..WAKINGS {
                    tokio::select! {
                        _ = tokio::time::sleep(debounce) => {}
                        _ = stopping.changed() => return,
                    }
                    if !self.pending.load(Ordering::Acquire) {
                        break;
                    }
                    job.notify_one();
                }
            }
        });
    }
}

/// The job's schedule: every `schedule`'s interval, and when `wake` is notified.
pub fn job(schedule: &Schedule, wake: Arc<Notify>) -> Job {
    Job::new("analytics_early_warning", schedule.every())
        .exclusive()
        .woken_by(wake)
}

/// What the early-warning job needs.
pub struct EarlyWarning {
    pub rules: AlertRules,
    pub schedule: Schedule,
    /// Told by the consumers.
    pub changed: Arc<FactsChanged>,
    pub outbox: Outbox,
}

/// Starts the early-warning job: raises an alert per condition held today (once per day).
pub fn early_warning(sched: &Scheduler, ew: EarlyWarning, stopping: Shutdown) -> JoinHandle<()> {
    let EarlyWarning {
        rules,
        schedule,
        changed,
        outbox,
    } = ew;
    let wake = Arc::new(Notify::new());
    changed
        .clone()
        .relay(wake.clone(), schedule.debounce(), stopping.clone());
    sched.spawn_db(job(&schedule, wake), stopping, move |conn, now| {
        // Under the job's lock: whatever the consumers committed so far is read by this run.
        changed.pending.store(false, Ordering::Release);
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

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_telling_wakes_the_job_after_the_debounce_until_it_runs() {
        let changed = Arc::new(FactsChanged::default());
        let job = Arc::new(Notify::new());
        let (stop, stopping) = tokio::sync::watch::channel(false);
        changed
            .clone()
            .relay(job.clone(), Duration::from_millis(50), stopping);
        changed.tell();
        let woken = tokio::time::timeout(Duration::from_secs(2), job.notified()).await;
        assert!(woken.is_ok(), "woken after the debounce");
        // The job did not run (another replica held the lock): woken again.
        let again = tokio::time::timeout(Duration::from_secs(2), job.notified()).await;
        assert!(again.is_ok(), "woken again while no run began");
        // A run began: no more wakings.
        changed.pending.store(false, Ordering::Release);
        let quiet = tokio::time::timeout(Duration::from_millis(300), job.notified()).await;
        assert!(quiet.is_err(), "not woken once it ran");
        let _ = stop.send(true);
    }

    #[test]
    fn the_default_schedule_is_a_minute_and_a_second() {
        let s = Schedule::default();
        assert_eq!(
            (s.every(), s.debounce()),
            (Duration::from_secs(60), Duration::from_secs(1))
        );
        let zero = Schedule {
            interval_secs: 0,
            debounce_ms: 0,
        };
        assert_eq!(zero.every(), Duration::from_secs(1), "never a busy loop");
    }
}
