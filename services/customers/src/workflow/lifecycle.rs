//! What a shipment does to a customer's lifecycle stage at once (SPEC §4): the first makes a
//! `prospect` `new`, a new one brings a `churned` customer back to `active`, and the one that
//! reaches the loyalty threshold makes them `loyal` (by the classification's own rule,
//! `domain::classification::stage_on_shipment`), announced with `customer.stage_changed`.
//! Every other move (to `active`, `at_risk`, `churned`, out of `at_risk`) is the classification
//! run's, which weighs the whole history.

use chrono::{DateTime, Duration, Utc};
use diesel::PgConnection;
use kuaidi_shared::events::{CloudEvent, Outbox};
use kuaidi_shared::request::{new_traceparent, parse_trace_id, RequestContext};
use uuid::Uuid;

use crate::db::activity;
use crate::domain::classification::{self, Thresholds};
use crate::domain::enums::Stage;
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
    let movable = classification::moved_by_shipments();
    let Some(mut moved) = activity::lock_stage(conn, customer, &movable)? else {
        return Ok(());
    };
    let current = Stage::parse(&moved.from)
        .ok_or_else(|| anyhow::anyhow!("stored stage {:?}", moved.from))?;
    let a = activity::activity_of(conn, moved.id, event.time, t)?;
    let Some(to) = classification::stage_on_shipment(current, &a, t) else {
        return Ok(());
    };
    activity::set_stage(conn, moved.id, to)?;
    moved.to = to.as_str().to_owned();
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
