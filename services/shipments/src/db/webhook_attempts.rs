//! A delivery's attempts (`webhook_deliveries`) besides its claim (`super::webhook_claims`):
//! the re-sends its owner asks for, and what each attempt ended with. A re-send
//! (`:redeliver`, `:replay`) is one more attempt beside the automatic retry schedule, as
//! Stripe's are: it neither takes a step of the schedule nor moves the next automatic attempt,
//! sooner or later. When the endpoint takes it the delivery is `succeeded`; when not, the
//! delivery stays as it was — pending on its schedule, or `failed` and off the schedule.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Bool, Int4, Nullable, Text, Timestamptz, Uuid as SqlUuid};
use uuid::Uuid;

use super::webhooks::DeliveryRow;

/// Asks for one re-send of the delivery, due `now` (`:redeliver`); one asked for already and
/// not made yet, or being made, stands. Returns the delivery as it stands.
pub fn request_resend(
    conn: &mut PgConnection,
    delivery_id: Uuid,
    now: DateTime<Utc>,
) -> QueryResult<DeliveryRow> {
    diesel::sql_query(
        "UPDATE webhook_deliveries SET resend_due_at = COALESCE(resend_due_at, $2), \
         updated_at = $2 WHERE id = $1 RETURNING *",
    )
    .bind::<SqlUuid, _>(delivery_id)
    .bind::<Timestamptz, _>(now)
    .get_result(conn)
}

/// Asks for one re-send, due `now`, of every delivery of the subscription created since
/// `since` that did not succeed (`:replay`); returns how many.
pub fn request_resends(
    conn: &mut PgConnection,
    subscription_id: Uuid,
    since: DateTime<Utc>,
    now: DateTime<Utc>,
) -> QueryResult<usize> {
    diesel::sql_query(
        "UPDATE webhook_deliveries SET resend_due_at = COALESCE(resend_due_at, $3), \
         updated_at = $3 \
         WHERE subscription_id = $1 AND created_at >= $2 AND status <> 'succeeded'",
    )
    .bind::<SqlUuid, _>(subscription_id)
    .bind::<Timestamptz, _>(since)
    .bind::<Timestamptz, _>(now)
    .execute(conn)
}

/// What one attempt ended with, and which attempt it was.
#[derive(Debug, Clone)]
pub struct AttemptOutcome {
    /// The schedule's attempt (it takes a step), rather than a re-send alone.
    pub automatic: bool,
    /// It made the re-send that was asked for (claimed with it).
    pub resent: bool,
    /// The endpoint took it (a 2xx answer).
    pub delivered: bool,
    pub status_code: Option<i32>,
    pub latency_ms: i32,
    /// Why no HTTP answer came (`None` when the endpoint answered).
    pub error: Option<String>,
    /// An automatic attempt that failed: when the next one is due, `None` when the retry window
    /// is over (`failed`). Nothing else reads it.
    pub next_attempt_at: Option<DateTime<Utc>>,
}

/// Records an attempt: counted, its answer (or error) and latency kept. An automatic one takes
/// a step of the schedule and sets the delivery's status and next attempt; a re-send alone only
/// makes it `succeeded` when delivered. A `succeeded` delivery stays so, whatever a later
/// attempt (a re-send, or one that raced it) ended with.
pub fn record_attempt(
    conn: &mut PgConnection,
    delivery_id: Uuid,
    outcome: &AttemptOutcome,
    now: DateTime<Utc>,
) -> QueryResult<()> {
    diesel::sql_query(
        "UPDATE webhook_deliveries SET attempts = attempts + 1, last_status_code = $2, \
           last_latency_ms = $3, last_error = $4, updated_at = $5, \
           status = CASE WHEN status = 'succeeded' OR $6 THEN 'succeeded' \
             WHEN $7 THEN CASE WHEN $8 IS NULL THEN 'failed' ELSE 'pending' END \
             ELSE status END, \
           next_attempt_at = CASE WHEN $7 AND NOT $6 AND status <> 'succeeded' \
             THEN COALESCE($8, $5) ELSE next_attempt_at END, \
           schedule_step = schedule_step + CASE WHEN $7 THEN 1 ELSE 0 END, \
           resend_due_at = CASE WHEN $9 THEN NULL ELSE resend_due_at END \
         WHERE id = $1",
    )
    .bind::<SqlUuid, _>(delivery_id)
    .bind::<Nullable<Int4>, _>(outcome.status_code)
    .bind::<Int4, _>(outcome.latency_ms)
    .bind::<Nullable<Text>, _>(outcome.error.as_deref())
    .bind::<Timestamptz, _>(now)
    .bind::<Bool, _>(outcome.delivered)
    .bind::<Bool, _>(outcome.automatic)
    .bind::<Nullable<Timestamptz>, _>(outcome.next_attempt_at)
    .bind::<Bool, _>(outcome.resent)
    .execute(conn)
    .map(drop)
}
