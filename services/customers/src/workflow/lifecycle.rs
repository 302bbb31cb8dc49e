//! What a shipment does to a customer's lifecycle stage at once (SPEC §4): the first makes a
//! `prospect` `new`, a new one brings a `churned` customer back to `active`, announced with
//! `customer.stage_changed`. Every other move (to `active`, `loyal`, `at_risk`, `churned`) is
//! the classification run's, which weighs the whole history.

use chrono::{DateTime, Duration, Utc};
use diesel::PgConnection;
use kuaidi_shared::events::{CloudEvent, Outbox};
use kuaidi_shared::request::{new_traceparent, parse_trace_id, RequestContext};
use uuid::Uuid;

use crate::db::activity;
use crate::domain::classification::Thresholds;
use crate::events::emit::Emitter;

/// Moves the stage of the shipper `customer` of `event`'s shipment made at `shipped_at`, in
/// the consumer's transaction. A shipment older than `churn_days` (a late or replayed event)
/// would not make the customer active: it moves nothing.
pub fn shipped(
    conn: &mut PgConnection,
    event: &CloudEvent,
    customer: Uuid,
    shipped_at: DateTime<Utc>,
    t: &Thresholds,
) -> anyhow::Result<()> {
    if shipped_at <= event.time - Duration::days(t.churn_days) {
        return Ok(());
    }
    let Some(moved) = activity::stage_on_shipment(conn, customer)? else {
        return Ok(());
    };
    // The trace of the shipment that moved it.
    let trace = event.traceparent.as_deref().and_then(parse_trace_id);
    let ctx = RequestContext {
        traceparent: new_traceparent(trace.as_deref()),
        ..RequestContext::detached()
    };
    let emit = Emitter {
        ctx: &ctx,
        now: event.time,
    };
    Outbox::enqueue(conn, &emit.stage_changed(&moved))?;
    Ok(())
}
