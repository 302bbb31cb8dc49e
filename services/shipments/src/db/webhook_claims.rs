//! The worker's claims on the webhook delivery queue (`webhook_deliveries`): due deliveries of
//! enabled endpoints, oldest first, taken with `FOR UPDATE SKIP LOCKED` (replicas never take the
//! same rows) and leased, and never more to one endpoint than the worker lets it have at once —
//! so an endpoint that is slow or down cannot take every slot the worker has. A delivery is due
//! for its schedule's next automatic attempt, or for a re-send asked for by hand
//! (`super::webhook_attempts`); each is leased in its own column, so a re-send moves nothing
//! of the schedule.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt, Bool, Timestamptz, Uuid as SqlUuid};
use uuid::Uuid;

use super::webhooks::DeliveryRow;

/// How many candidates one claim locks and looks at per delivery it may take: enough for a few
/// endpoints at their limit not to leave the claim empty-handed.
const LOOK_AHEAD: i64 = 4;

/// A claimed delivery, and which attempt it is due for.
#[derive(Debug, Clone, QueryableByName)]
pub struct Claimed {
    #[diesel(embed)]
    pub delivery: DeliveryRow,
    /// Its schedule's automatic attempt is due (a re-send asked for as well is made by it);
    /// `false`: a re-send alone, which leaves the schedule as it is.
    #[diesel(sql_type = Bool)]
    pub automatic: bool,
}

/// Claims up to `limit` deliveries of enabled endpoints due at `now` — pending ones whose
/// automatic attempt is due (none being re-sent), and those with a re-send due — the oldest
/// first, and leases them until `now + lease_ms`: a worker that dies mid-send leaves them to be
/// tried again after the lease. An automatic attempt is leased in `next_attempt_at`, a re-send
/// in `resend_due_at` (the schedule's next attempt stays). An endpoint gets no more than
/// `per_endpoint` in flight counting the ones `busy` says the worker already sends it
/// (endpoint, how many); the rest of its deliveries wait their turn.
pub fn claim_due(
    conn: &mut PgConnection,
    now: DateTime<Utc>,
    limit: i64,
    lease_ms: i64,
    per_endpoint: i64,
    busy: &[(Uuid, i64)],
) -> QueryResult<Vec<Claimed>> {
    let (endpoints, counts): (Vec<Uuid>, Vec<i64>) = busy.iter().copied().unzip();
    diesel::sql_query(
        "WITH busy AS (SELECT * FROM UNNEST($4::uuid[], $5::int8[]) AS b(subscription_id, n)), \
         scheduled AS ( \
           SELECT d.id, d.subscription_id, d.next_attempt_at AS due_at, true AS automatic \
           FROM webhook_deliveries d JOIN webhook_subscriptions s ON s.id = d.subscription_id \
           WHERE d.status = 'pending' AND d.next_attempt_at <= $7 AND d.resend_due_at IS NULL \
             AND s.disabled_at IS NULL AND NOT EXISTS (SELECT 1 FROM busy b \
               WHERE b.subscription_id = d.subscription_id AND b.n >= $3) \
           ORDER BY d.next_attempt_at LIMIT $1 * $6 \
           FOR UPDATE OF d SKIP LOCKED), \
         resends AS ( \
           SELECT d.id, d.subscription_id, d.resend_due_at AS due_at, \
             (d.status = 'pending' AND d.next_attempt_at <= $7) AS automatic \
           FROM webhook_deliveries d JOIN webhook_subscriptions s ON s.id = d.subscription_id \
           WHERE d.resend_due_at <= $7 AND s.disabled_at IS NULL \
             AND NOT EXISTS (SELECT 1 FROM busy b \
               WHERE b.subscription_id = d.subscription_id AND b.n >= $3) \
           ORDER BY d.resend_due_at LIMIT $1 * $6 \
           FOR UPDATE OF d SKIP LOCKED), \
         due AS (SELECT * FROM scheduled UNION ALL SELECT * FROM resends), \
         placed AS ( \
           SELECT due.id, due.due_at, due.automatic, coalesce(b.n, 0) + row_number() OVER ( \
             PARTITION BY due.subscription_id ORDER BY due.due_at, due.id) AS place \
           FROM due LEFT JOIN busy b ON b.subscription_id = due.subscription_id), \
         chosen AS ( \
           SELECT id, automatic FROM placed WHERE place <= $3 ORDER BY due_at LIMIT $1) \
         UPDATE webhook_deliveries d SET \
           next_attempt_at = CASE WHEN c.automatic \
             THEN $7 + ($2 * interval '1 millisecond') ELSE d.next_attempt_at END, \
           resend_due_at = CASE WHEN d.resend_due_at IS NOT NULL \
             THEN $7 + ($2 * interval '1 millisecond') END \
         FROM chosen c WHERE d.id = c.id \
         RETURNING d.*, c.automatic",
    )
    .bind::<BigInt, _>(limit)
    .bind::<BigInt, _>(lease_ms)
    .bind::<BigInt, _>(per_endpoint)
    .bind::<Array<SqlUuid>, _>(endpoints)
    .bind::<Array<BigInt>, _>(counts)
    .bind::<BigInt, _>(LOOK_AHEAD)
    .bind::<Timestamptz, _>(now)
    .load(conn)
}
