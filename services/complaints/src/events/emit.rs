//! Building the events of SPEC §7 that this service emits: every case event carries the same
//! facts about the case (`case_event!`), every claim event the same facts about the claim;
//! every event is enqueued in the transaction of its change.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use kuaidi_shared::events::catalogue::{
    ClaimFiledV1, ClaimSettledV1, ComplaintReceivedV1, EventPayload,
};
use kuaidi_shared::events::{CloudEvent, Outbox};
use kuaidi_shared::money::Money;
use kuaidi_shared::request::RequestContext;
use std::collections::HashMap;
use uuid::Uuid;

use crate::db::claims::ClaimRow;
use crate::db::complaints::ComplaintRow;
use crate::db::schema::shipment_projection;
use crate::domain::vocab::ClaimStatus;

/// What every case event says about its case.
pub struct Facts {
    pub id: Uuid,
    pub number: String,
    pub customer_id: Option<Uuid>,
    pub merchant_id: Option<Uuid>,
    pub tracking_number: Option<String>,
    pub category: Option<String>,
    pub city: Option<String>,
    pub assignee_id: Option<Uuid>,
}

impl Facts {
    pub fn of(row: &ComplaintRow, city: Option<String>) -> Self {
        Self {
            id: row.id,
            number: row.number.clone(),
            customer_id: row.customer_id,
            merchant_id: row.merchant_id,
            tracking_number: row.tracking_number.clone(),
            category: row.category.clone(),
            city,
            assignee_id: row.assignee_id,
        }
    }

    /// The facts of a case, with the destination city from the shipment projection.
    pub fn load(conn: &mut PgConnection, row: &ComplaintRow) -> QueryResult<Self> {
        let cities = cities(conn, std::slice::from_ref(row))?;
        Ok(Self::of(
            row,
            row.tracking_number
                .as_ref()
                .and_then(|t| cities.get(t).cloned()),
        ))
    }
}

/// Destination cities of the cases' shipments, by tracking number (one query).
pub fn cities(
    conn: &mut PgConnection,
    rows: &[ComplaintRow],
) -> QueryResult<HashMap<String, String>> {
    let tns: Vec<&str> = rows
        .iter()
        .filter_map(|r| r.tracking_number.as_deref())
        .collect();
    if tns.is_empty() {
        return Ok(HashMap::new());
    }
    Ok(shipment_projection::table
        .filter(shipment_projection::tracking_number.eq_any(tns))
        .select((
            shipment_projection::tracking_number,
            shipment_projection::destination_city,
        ))
        .load::<(String, String)>(conn)?
        .into_iter()
        .collect())
}

/// A case event: the common facts plus the event's own fields.
macro_rules! case_event {
    ($ty:ident, $facts:expr, { $($field:ident : $value:expr),* $(,)? }) => {{
        let f: &$crate::events::emit::Facts = $facts;
        kuaidi_shared::events::catalogue::$ty {
            complaint_id: f.id,
            number: f.number.clone(),
            customer_id: f.customer_id,
            merchant_id: f.merchant_id,
            tracking_number: f.tracking_number.clone(),
            category: f.category.clone(),
            city: f.city.clone(),
            assignee_id: f.assignee_id,
            $($field: $value),*
        }
    }};
}
pub(crate) use case_event;

/// Events produced by one change, enqueued together.
pub struct Emitter<'a> {
    ctx: &'a RequestContext,
    now: DateTime<Utc>,
    events: Vec<CloudEvent>,
}

impl<'a> Emitter<'a> {
    pub fn new(ctx: &'a RequestContext, now: DateTime<Utc>) -> Self {
        Self {
            ctx,
            now,
            events: Vec::new(),
        }
    }

    pub fn push<P: EventPayload>(&mut self, subject: Uuid, payload: &P) {
        self.events.push(CloudEvent::about(
            crate::SERVICE,
            subject,
            payload,
            self.ctx,
            self.now,
        ));
    }

    /// Writes the events to the outbox (same transaction as the change).
    pub fn flush(self, conn: &mut PgConnection) -> QueryResult<usize> {
        Outbox::enqueue_all(conn, &self.events)?;
        Ok(self.events.len())
    }
}

/// `complaint.received` for a case just opened, with its destination city and whether the
/// service opened it itself (`proactive`).
pub fn received(row: &ComplaintRow, city: Option<String>) -> ComplaintReceivedV1 {
    ComplaintReceivedV1 {
        complaint_id: row.id,
        number: row.number.clone(),
        type_: row.type_.clone(),
        channel: row.channel.clone(),
        category: row.category.clone(),
        priority: row.priority.clone(),
        customer_id: row.customer_id,
        merchant_id: row.merchant_id,
        tracking_number: row.tracking_number.clone(),
        city,
        received_at: row.created_at,
        proactive: row.proactive,
    }
}

/// A claim event: what every claim event says about its claim, plus the event's own fields.
macro_rules! claim_event {
    ($ty:ident, $row:expr, { $($field:ident : $value:expr),* $(,)? }) => {{
        let r: &ClaimRow = $row;
        $ty {
            claim_id: r.id,
            complaint_id: r.complaint_id,
            tracking_number: r.tracking_number.clone(),
            kind: r.kind.clone(),
            customer_id: r.customer_id,
            merchant_id: r.merchant_id,
            $($field: $value),*
        }
    }};
}

/// `claim.filed` for a claim just filed (the amount claimed, the payable limit from its row).
pub fn claim_filed(row: &ClaimRow, claimed: Money, at: DateTime<Utc>) -> ClaimFiledV1 {
    claim_event!(ClaimFiledV1, row, {
        amount_claimed: claimed,
        amount_payable: Money::from_minor(row.amount_payable_minor, &row.currency),
        filed_at: at,
    })
}

/// `claim.settled` for a claim that reached `outcome` (paid: the approved amount).
pub fn claim_settled(row: &ClaimRow, outcome: ClaimStatus, at: DateTime<Utc>) -> ClaimSettledV1 {
    claim_event!(ClaimSettledV1, row, {
        outcome: outcome.to_string(),
        amount_paid: (outcome == ClaimStatus::Paid)
            .then(|| Money::from_minor(row.amount_approved_minor.unwrap_or(0), &row.currency)),
        settled_at: at,
    })
}
