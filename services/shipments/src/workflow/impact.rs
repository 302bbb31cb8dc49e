//! `impact:notify` (SPEC §5 "Impact scope"): a `notification.requested` (template
//! `shipment.disruption`) for every shipment a disruption touches, chunk by chunk — each chunk
//! read and its events written to the outbox in one transaction — so any number of shipments
//! is notified without one huge transaction. Each shipment's recipient is told, and its shipper
//! customer when it names one, each on their own channel ([`crate::domain::notification`]).

use chrono::{DateTime, Utc};
use diesel::PgConnection;
use kuaidi_shared::clock::new_id;
use kuaidi_shared::events::{CloudEvent, Outbox};
use kuaidi_shared::request::RequestContext;
use uuid::Uuid;

use crate::db::customers;
use crate::db::impact::{self, Affected, After, Scope};
use crate::domain::notification::{template, Addressees};
use crate::events::{About, Emitter};

/// One chunk: the notifications of up to `chunk` affected shipments after `after`, in the
/// caller's transaction. Returns how many shipments were notified and where the next chunk
/// starts (`None` once the last chunk was short: nothing is left).
pub fn notify_chunk(
    conn: &mut PgConnection,
    scope: &Scope,
    after: Option<After>,
    chunk: i64,
    reason: &str,
    (ctx, now): (&RequestContext, DateTime<Utc>),
) -> diesel::QueryResult<(usize, Option<After>)> {
    let chunk = chunk.max(1);
    let rows = impact::affected(conn, scope, after, chunk)?;
    let ids: Vec<Uuid> = rows.iter().map(|r| r.id).collect();
    let known = customers::addressees(conn, &ids)?;
    let emit = Emitter { ctx, now };
    let events: Vec<CloudEvent> = rows
        .iter()
        .flat_map(|r| {
            let to = known.get(&r.id).cloned().unwrap_or_default();
            disruption(&emit, r, &to, reason)
        })
        .collect();
    Outbox::enqueue_batched(conn, &events, new_id)?;
    let next = match rows.last() {
        Some(last) if rows.len() as i64 == chunk => Some(last.key()),
        _ => None,
    };
    Ok((rows.len(), next))
}

/// `notification.requested` (template `shipment.disruption`) for one affected shipment, one
/// per addressee of `to`, each on their channel.
fn disruption(emit: &Emitter<'_>, r: &Affected, to: &Addressees, reason: &str) -> Vec<CloudEvent> {
    let about = About {
        shipment_id: r.id,
        tracking_number: r.tracking_number.clone(),
        merchant_id: r.merchant_id,
        shipper_customer_id: r.shipper_customer_id,
    };
    let mut variables = serde_json::Map::new();
    variables.insert("reason".into(), reason.into());
    if let Some(eta) = r.estimated_delivery_at {
        variables.insert("eta".into(), serde_json::json!(eta));
    }
    to.notices(template::DISRUPTION)
        .iter()
        .map(|n| {
            emit.notification(
                &about,
                n,
                template::DISRUPTION,
                &r.status,
                variables.clone(),
            )
        })
        .collect()
}
