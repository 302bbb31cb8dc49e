//! Failed sign-ins (SPEC §3, OWASP): throttled per source address and per username by token
//! buckets (`429` + `Retry-After`), and a username is locked with growing delays after
//! repeated failures — except from addresses its user signed in from before, so a stranger's
//! failures elsewhere never lock the owner out. Admins unlock; every lock is audited.

use actix_web::HttpRequest;
use chrono::Duration;
use kuaidi_shared::ApiError;

use crate::ratelimit::{Decision, Limiter};

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

/// The token buckets of `/api/v1/auth/*`: per source address and per username (or client id).
pub struct AuthLimits {
    pub per_address: Limiter,
    pub per_username: Limiter,
}

impl AuthLimits {
    /// Refuses (`429` + `Retry-After`) when this address or this username went over its limit.
    pub fn check(&self, req: &HttpRequest, username: Option<&str>) -> Result<(), ApiError> {
        let address = crate::ratelimit::address_key(req);
        let mut decisions = vec![self.per_address.check(&address)];
        if let Some(name) = username {
            decisions.push(self.per_username.check(&name.trim().to_lowercase()));
        }
        match decisions
            .into_iter()
            .find(|d| matches!(d, Decision::Refused { .. }))
        {
            Some(Decision::Refused {
                limit,
                retry_after_secs,
            }) => Err(ApiError::TooManyRequests {
                retry_after_secs,
                limit,
            }),
            _ => Ok(()),
        }
    }
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
