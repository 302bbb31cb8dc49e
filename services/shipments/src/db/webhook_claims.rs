//! The worker's claims on the webhook delivery queue (`webhook_deliveries`): due deliveries of
//! enabled endpoints, oldest first, taken with `FOR UPDATE SKIP LOCKED` (replicas never take the
//! same rows) and leased, and never more to one endpoint than the worker lets it have at once —
//! so an endpoint that is slow or down cannot take every slot the worker has.

use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt, Uuid as SqlUuid};
use uuid::Uuid;

use super::webhooks::DeliveryRow;

/// How many candidates one claim locks and looks at per delivery it may take: enough for a few
/// endpoints at their limit not to leave the claim empty-handed.
const LOOK_AHEAD: i64 = 4;

/// Claims up to `limit` due deliveries of enabled endpoints, the oldest first, and leases them
/// until `now + lease_ms`: a worker that dies mid-send leaves them to be retried after the lease.
/// An endpoint gets no more than `per_endpoint` in flight counting the ones `busy` says the
/// worker already sends it (endpoint, how many); the rest of its deliveries wait their turn.
pub fn claim_due(
    conn: &mut PgConnection,
    limit: i64,
    lease_ms: i64,
    per_endpoint: i64,
    busy: &[(Uuid, i64)],
) -> QueryResult<Vec<DeliveryRow>> {
    let (endpoints, counts): (Vec<Uuid>, Vec<i64>) = busy.iter().copied().unzip();
    diesel::sql_query(
        "WITH busy AS (SELECT * FROM UNNEST($4::uuid[], $5::int8[]) AS b(subscription_id, n)), \
         due AS ( \
           SELECT d.id, d.subscription_id, d.next_attempt_at FROM webhook_deliveries d \
           JOIN webhook_subscriptions s ON s.id = d.subscription_id \
           WHERE d.status = 'pending' AND d.next_attempt_at <= now() AND s.disabled_at IS NULL \
             AND NOT EXISTS (SELECT 1 FROM busy b \
               WHERE b.subscription_id = d.subscription_id AND b.n >= $3) \
           ORDER BY d.next_attempt_at LIMIT $1 * $6 \
           FOR UPDATE OF d SKIP LOCKED), \
         placed AS ( \
           SELECT due.id, due.next_attempt_at, coalesce(b.n, 0) + row_number() OVER ( \
             PARTITION BY due.subscription_id ORDER BY due.next_attempt_at, due.id) AS place \
           FROM due LEFT JOIN busy b ON b.subscription_id = due.subscription_id) \
         UPDATE webhook_deliveries SET next_attempt_at = now() + ($2 * interval '1 millisecond') \
         WHERE id IN ( \
           SELECT id FROM placed WHERE place <= $3 ORDER BY next_attempt_at LIMIT $1) \
         RETURNING *",
    )
    .bind::<BigInt, _>(limit)
    .bind::<BigInt, _>(lease_ms)
    .bind::<BigInt, _>(per_endpoint)
    .bind::<Array<SqlUuid>, _>(endpoints)
    .bind::<Array<BigInt>, _>(counts)
    .bind::<BigInt, _>(LOOK_AHEAD)
    .load(conn)
}
