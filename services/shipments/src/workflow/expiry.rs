//! The `expired` sweep (SPEC §5): a live shipment with no event for 30 days *default*
//! ([`ExpiryRules`]) is expired. The service's scheduler runs it hourly as an exclusive job (one
//! replica at a time).

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use kuaidi_shared::events::{CloudEvent, Outbox};
use kuaidi_shared::request::RequestContext;
use std::time::Duration;

use crate::db::tracking_events as repo;
use crate::domain::tracking::ExpiryRules;
use crate::events::tracking::expired;
use crate::events::Emitter;

/// How often the sweep runs.
pub const PERIOD: Duration = Duration::from_secs(3600);
/// Shipments expired per statement, to bound each statement's work.
const CHUNK: i64 = 1000;

/// Expires every live shipment idle since before `now - rules.expire_after()` and writes its
/// `shipment.status_changed`, in the caller's transaction; returns how many were expired.
pub fn sweep_expired(
    conn: &mut PgConnection,
    now: DateTime<Utc>,
    rules: &ExpiryRules,
) -> QueryResult<usize> {
    let ctx = RequestContext::detached();
    let mut total = 0;
    loop {
        let rows = repo::expire_idle(conn, now - rules.expire_after(), now, CHUNK)?;
        let emit = Emitter { ctx: &ctx, now };
        let events: Vec<CloudEvent> = rows.iter().map(|r| expired(&emit, r)).collect();
        Outbox::enqueue_all(conn, &events)?;
        total += rows.len();
        if (rows.len() as i64) < CHUNK {
            return Ok(total);
        }
    }
}
