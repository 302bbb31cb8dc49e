//! The `expired` sweep (SPEC §5): a live shipment with no event for 30 days is expired. An
//! hourly background task runs it under a transaction-scoped advisory lock, so one replica
//! sweeps at a time.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Bool};
use kuaidi_shared::db::PgPool;
use kuaidi_shared::events::catalogue::ShipmentStatusChangedV1;
use kuaidi_shared::events::{CloudEvent, Outbox, Shutdown};
use kuaidi_shared::request::RequestContext;
use std::time::Duration;
use uuid::Uuid;

use crate::db::tracking_events as repo;
use crate::domain::tracking::EXPIRE_AFTER;

/// How often the sweep runs.
pub const PERIOD: Duration = Duration::from_secs(3600);
/// Shipments expired per statement, to bound each statement's work.
const CHUNK: i64 = 1000;
/// `pg_try_advisory_xact_lock` key of the sweep ("kd-swp-expired" folded into an i64).
const LOCK_KEY: i64 = 0x6b64_7377_7065_7870;

/// Expires every live shipment idle since before `now - 30 days` and writes its
/// `shipment.status_changed`, in the caller's transaction; returns how many were expired.
pub fn sweep_expired(conn: &mut PgConnection, now: DateTime<Utc>) -> QueryResult<usize> {
    let ctx = RequestContext::detached();
    let mut total = 0;
    loop {
        let rows = repo::expire_idle(conn, now - EXPIRE_AFTER, now, CHUNK)?;
        let events: Vec<CloudEvent> = rows
            .iter()
            .map(|r| {
                let payload = ShipmentStatusChangedV1 {
                    shipment_id: r.id,
                    tracking_number: r.tracking_number.clone(),
                    merchant_id: r.merchant_id,
                    shipper_customer_id: r.shipper_customer_id,
                    from: r.from_status.clone(),
                    to: "expired".into(),
                    substatus: None,
                    sequence: r.last_sequence,
                    occurred_at: now,
                    location: None,
                };
                CloudEvent::new(
                    crate::SERVICE,
                    r.id.to_string(),
                    &payload,
                    &ctx,
                    Uuid::now_v7(),
                    now,
                )
            })
            .collect();
        Outbox::enqueue_all(conn, &events)?;
        total += rows.len();
        if (rows.len() as i64) < CHUNK {
            return Ok(total);
        }
    }
}

#[derive(QueryableByName)]
struct Locked {
    #[diesel(sql_type = Bool)]
    locked: bool,
}

/// One sweep under the advisory lock; `None` when another replica holds it.
pub fn sweep_once(conn: &mut PgConnection, now: DateTime<Utc>) -> QueryResult<Option<usize>> {
    conn.transaction(|conn| {
        let lock: Locked = diesel::sql_query("SELECT pg_try_advisory_xact_lock($1) AS locked")
            .bind::<BigInt, _>(LOCK_KEY)
            .get_result(conn)?;
        if !lock.locked {
            return Ok(None);
        }
        sweep_expired(conn, now).map(Some)
    })
}

/// Sweeps every [`PERIOD`] until shutdown.
pub async fn run(pool: PgPool, outbox: Outbox, mut shutdown: Shutdown) {
    loop {
        tokio::select! {
            _ = tokio::time::sleep(PERIOD) => {}
            _ = shutdown.changed() => return,
        }
        let pool = pool.clone();
        let swept = tokio::task::spawn_blocking(move || {
            let mut conn = pool.get()?;
            Ok::<_, anyhow::Error>(sweep_once(&mut conn, Utc::now())?)
        })
        .await;
        match swept {
            Ok(Ok(Some(n))) => {
                tracing::info!(expired = n, "expiry sweep done");
                outbox.wake();
            }
            Ok(Ok(None)) => tracing::debug!("expiry sweep running on another replica"),
            Ok(Err(e)) => tracing::warn!(error = %e, "expiry sweep failed; retrying next period"),
            Err(e) => tracing::warn!(error = %e, "expiry sweep task failed"),
        }
    }
}
