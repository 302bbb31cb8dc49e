//! How long a username is locked after failed sign-ins in a row.

use chrono::Duration;

/// Failures in a row before the first lock.
pub const FREE_FAILURES: i32 = 5;
/// The longest lock.
const MAX_LOCK_MINUTES: i64 = 60;

/// How long a user is locked after `failures` failures in a row: nothing before
/// [`FREE_FAILURES`], then 1 minute, doubling with every further failure up to an hour.
pub fn lock_for(failures: i32) -> Option<Duration> {
    let beyond = failures - FREE_FAILURES;
    if beyond < 0 {
        return None;
    }
    let minutes = 1_i64
        .checked_shl(beyond.clamp(0, 30) as u32)
        .unwrap_or(MAX_LOCK_MINUTES);
    Some(Duration::minutes(minutes.min(MAX_LOCK_MINUTES)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_failures_are_free_then_the_lock_doubles_up_to_an_hour() {
        assert_eq!(lock_for(0), None);
        assert_eq!(lock_for(FREE_FAILURES - 1), None);
        assert_eq!(lock_for(FREE_FAILURES), Some(Duration::minutes(1)));
        assert_eq!(lock_for(FREE_FAILURES + 1), Some(Duration::minutes(2)));
        assert_eq!(lock_for(FREE_FAILURES + 3), Some(Duration::minutes(8)));
        assert_eq!(lock_for(FREE_FAILURES + 6), Some(Duration::minutes(60)));
        assert_eq!(lock_for(i32::MAX), Some(Duration::minutes(60)));
    }
}
