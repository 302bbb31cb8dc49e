//! Failed sign-ins (SPEC §3, OWASP): throttled per source address and per username by token
//! buckets (`429` + `Retry-After`); an address that keeps failing waits a growing delay before
//! each further attempt (progressive throttling, on the gateway's clock); and a username is
//! locked with growing delays after repeated failures (`domain::lockout`) — except from
//! addresses its user signed in from before, so a stranger's failures elsewhere never lock the
//! owner out. Admins unlock; every lock is audited.

use actix_web::HttpRequest;
use chrono::{DateTime, Duration, Utc};
use kuaidi_shared::clock::Clock;
use kuaidi_shared::ApiError;
use std::collections::HashMap;
use std::sync::Mutex;

use crate::ratelimit::{Decision, Limiter};

/// Failed sign-ins an address may make in an hour before its attempts are delayed, unless
/// configured (`rate_limits.auth_free_failures_per_address`): high enough that a company's
/// shared address (or an integrator's test run with its refused-credential cases) does not
/// lock everyone behind it out, low enough that guessing across usernames from one address
/// slows to a crawl; each username is locked after its own few failures anyway.
pub const ADDRESS_FREE_FAILURES: u32 = 50;
/// The longest delay an address waits between attempts.
const MAX_ADDRESS_DELAY_SECS: i64 = 15 * 60;
/// An address's failures are forgotten after this long without a new one.
const ADDRESS_MEMORY_HOURS: i64 = 1;

/// How long an address waits before its next attempt after `failures` failures in a row:
/// nothing before `free` failures, then 1 s, doubling with every further failure up to 15
/// minutes.
pub fn address_delay(failures: u32, free: u32) -> Option<Duration> {
    let beyond = failures.checked_sub(free)?;
    let secs = 1_i64
        .checked_shl(beyond.min(30))
        .unwrap_or(MAX_ADDRESS_DELAY_SECS);
    Some(Duration::seconds(secs.min(MAX_ADDRESS_DELAY_SECS)))
}

/// The failures of one source address.
#[derive(Debug, Clone, Copy)]
struct Failures {
    count: u32,
    last: DateTime<Utc>,
    wait_until: Option<DateTime<Utc>>,
}

/// Growing delays per source address (per gateway replica, like the buckets): a success does
/// not clear them (one valid account must not buy an address more guesses); an hour without a
/// failure does.
pub struct AddressBackoff {
    clock: Clock,
    /// Failures an address makes before it waits.
    free: u32,
    seen: Mutex<HashMap<String, Failures>>,
}

impl AddressBackoff {
    pub fn new(clock: Clock, free: u32) -> Self {
        Self {
            clock,
            free,
            seen: Mutex::new(HashMap::new()),
        }
    }

    /// Seconds `address` must still wait before its next attempt, if any.
    pub fn wait(&self, address: &str) -> Option<u64> {
        let now = self.clock.now();
        let seen = self.seen.lock().unwrap_or_else(|e| e.into_inner());
        let until = seen.get(address)?.wait_until.filter(|u| *u > now)?;
        let ms = (until - now).num_milliseconds().max(1);
        Some(u64::try_from((ms + 999) / 1000).unwrap_or(1))
    }

    /// Counts a failed attempt from `address` and starts its next delay.
    pub fn failed(&self, address: &str) {
        let now = self.clock.now();
        let forget = now - Duration::hours(ADDRESS_MEMORY_HOURS);
        let mut seen = self.seen.lock().unwrap_or_else(|e| e.into_inner());
        if seen.len() > 100_000 {
            seen.retain(|_, f| f.last > forget);
        }
        let entry = seen.entry(address.to_owned()).or_insert(Failures {
            count: 0,
            last: now,
            wait_until: None,
        });
        if entry.last <= forget {
            entry.count = 0;
        }
        entry.count = entry.count.saturating_add(1);
        entry.last = now;
        entry.wait_until = address_delay(entry.count, self.free).map(|d| now + d);
    }
}

/// The limits of `/api/v1/auth/*`: token buckets per source address and per username (or
/// client id), and growing delays per address that keeps failing.
pub struct AuthLimits {
    pub per_address: Limiter,
    pub per_username: Limiter,
    pub backoff: AddressBackoff,
}

impl AuthLimits {
    /// Refuses (`429` + `Retry-After`) while this address waits out its delay, or when this
    /// address or this username went over its limit.
    pub fn check(&self, req: &HttpRequest, username: Option<&str>) -> Result<(), ApiError> {
        self.check_address(req)?;
        username.map_or(Ok(()), |name| self.check_username(name))
    }

    /// Refuses while this address waits out its delay or went over its limit.
    pub fn check_address(&self, req: &HttpRequest) -> Result<(), ApiError> {
        self.check_backoff(req)?;
        self.check_address_rate(req)
    }

    /// Refuses when this address went over its rate (a flood), whatever it sends.
    pub fn check_address_rate(&self, req: &HttpRequest) -> Result<(), ApiError> {
        refused(
            self.per_address
                .check(&crate::ratelimit::address_key(req.peer_addr())),
        )
    }

    /// Refuses while this address waits out the delay its failures earned.
    fn check_backoff(&self, req: &HttpRequest) -> Result<(), ApiError> {
        let address = crate::ratelimit::address_key(req.peer_addr());
        match self.backoff.wait(&address) {
            Some(retry_after_secs) => Err(ApiError::TooManyRequests {
                retry_after_secs,
                limit: self.backoff.free,
            }),
            None => Ok(()),
        }
    }

    /// After refused credentials that cost nothing to check (a client's random secret, whose
    /// digest is compared): `429` while this address waits out its delay or `name` went over
    /// its limit — so guessing is throttled while the right credentials, which no guess finds,
    /// pass whatever others failed. Counts the failure.
    pub fn after_failure(&self, req: &HttpRequest, name: &str) -> Result<(), ApiError> {
        let throttled = self
            .check_backoff(req)
            .and_then(|()| self.check_username(name));
        self.failed(req);
        throttled
    }

    /// Refuses when attempts on this username, from any address, went over their limit. A
    /// sign-in from an address its user signed in from before is not asked this (SPEC §3: a
    /// stranger's failures never lock a user out of an address they used before).
    pub fn check_username(&self, name: &str) -> Result<(), ApiError> {
        refused(self.per_username.check(&name.trim().to_lowercase()))
    }

    /// Counts a failed sign-in from the request's address.
    pub fn failed(&self, req: &HttpRequest) {
        self.backoff
            .failed(&crate::ratelimit::address_key(req.peer_addr()));
    }
}

fn refused(decision: Decision) -> Result<(), ApiError> {
    match decision {
        Decision::Refused {
            limit,
            retry_after_secs,
        } => Err(ApiError::TooManyRequests {
            retry_after_secs,
            limit,
        }),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_address_waits_one_second_after_its_free_failures_then_twice_as_long_each_time() {
        assert_eq!(
            address_delay(ADDRESS_FREE_FAILURES - 1, ADDRESS_FREE_FAILURES),
            None
        );
        assert_eq!(
            address_delay(ADDRESS_FREE_FAILURES, ADDRESS_FREE_FAILURES),
            Some(Duration::seconds(1))
        );
        assert_eq!(
            address_delay(ADDRESS_FREE_FAILURES + 1, ADDRESS_FREE_FAILURES),
            Some(Duration::seconds(2))
        );
        assert_eq!(
            address_delay(ADDRESS_FREE_FAILURES + 5, ADDRESS_FREE_FAILURES),
            Some(Duration::seconds(32))
        );
        assert_eq!(
            address_delay(ADDRESS_FREE_FAILURES + 10, ADDRESS_FREE_FAILURES),
            Some(Duration::minutes(15))
        );
        assert_eq!(
            address_delay(u32::MAX, ADDRESS_FREE_FAILURES),
            Some(Duration::minutes(15))
        );
    }

    #[test]
    fn an_addresss_delay_runs_on_the_clock_and_its_failures_are_forgotten_after_an_hour() {
        let clock = Clock::manual(Clock::system().now());
        let backoff = AddressBackoff::new(clock.clone(), ADDRESS_FREE_FAILURES);
        for _ in 0..ADDRESS_FREE_FAILURES - 1 {
            backoff.failed("192.0.2.1");
        }
        assert_eq!(backoff.wait("192.0.2.1"), None, "the free failures");
        backoff.failed("192.0.2.1");
        assert_eq!(backoff.wait("192.0.2.1"), Some(1));
        assert_eq!(backoff.wait("192.0.2.2"), None, "another address");
        clock.advance(Duration::seconds(1));
        assert_eq!(backoff.wait("192.0.2.1"), None, "waited out");
        backoff.failed("192.0.2.1");
        assert_eq!(backoff.wait("192.0.2.1"), Some(2), "doubled");
        clock.advance(Duration::hours(1));
        backoff.failed("192.0.2.1");
        assert_eq!(
            backoff.wait("192.0.2.1"),
            None,
            "forgotten after a quiet hour"
        );
    }
}
