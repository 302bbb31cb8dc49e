//! Time and ids come in through here, so rules that depend on them (SLA clocks, ETAs, sweeps,
//! classification windows) are tested by moving a clock rather than by sleeping. Production
//! uses [`Clock::system`]; tests use [`Clock::manual`] and move it with [`Clock::advance`].
//! Nothing else in the workspace calls `Utc::now()`.

use chrono::{DateTime, Duration, Utc};
use std::sync::{Arc, RwLock};
use uuid::Uuid;

/// A source of "now", cheap to clone and shared by every handler and job of a service.
#[derive(Clone)]
pub struct Clock {
    manual: Option<Arc<RwLock<DateTime<Utc>>>>,
}

impl Default for Clock {
    fn default() -> Self {
        Self::system()
    }
}

impl std::fmt::Debug for Clock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.manual {
            None => f.write_str("Clock::system"),
            Some(_) => write!(f, "Clock::manual({})", self.now()),
        }
    }
}

impl Clock {
    /// The wall clock.
    pub fn system() -> Self {
        Self { manual: None }
    }

    /// A clock that stands at `start` until moved.
    pub fn manual(start: DateTime<Utc>) -> Self {
        Self {
            manual: Some(Arc::new(RwLock::new(start))),
        }
    }

    pub fn now(&self) -> DateTime<Utc> {
        match &self.manual {
            None => Utc::now(),
            Some(t) => *t.read().unwrap_or_else(|p| p.into_inner()),
        }
    }

    /// Now, to the microsecond PostgreSQL keeps, so a time answered equals the time read back.
    pub fn now_micros(&self) -> DateTime<Utc> {
        use chrono::DurationRound;
        let t = self.now();
        t.duration_trunc(Duration::microseconds(1)).unwrap_or(t)
    }

    /// Moves a manual clock forward (or back, with a negative duration).
    ///
    /// # Panics
    /// On the system clock: moving real time is a test bug.
    pub fn advance(&self, by: Duration) {
        self.set(self.now() + by);
    }

    /// Sets a manual clock.
    ///
    /// # Panics
    /// On the system clock.
    pub fn set(&self, to: DateTime<Utc>) {
        match &self.manual {
            None => panic!("the system clock cannot be moved"),
            Some(t) => *t.write().unwrap_or_else(|p| p.into_inner()) = to,
        }
    }

    /// Whether this is a test clock (jobs then run on every tick instead of their period).
    pub fn is_manual(&self) -> bool {
        self.manual.is_some()
    }
}

/// A new id: UUID v7, so ids sort by creation time.
pub fn new_id() -> Uuid {
    Uuid::now_v7()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_manual_clock_stands_still_until_moved() {
        let start = DateTime::parse_from_rfc3339("2026-01-01T00:00:00Z")
            .map(|t| t.with_timezone(&Utc))
            .unwrap_or_default();
        let clock = Clock::manual(start);
        let copy = clock.clone();
        assert_eq!(clock.now(), start);
        copy.advance(Duration::minutes(90));
        assert_eq!(
            clock.now(),
            start + Duration::minutes(90),
            "clones share the time"
        );
    }

    #[test]
    fn the_system_clock_moves() {
        let clock = Clock::system();
        let a = clock.now();
        assert!(clock.now() >= a);
        assert!(!clock.is_manual());
    }
}
