//! Building the events of SPEC §7 that this service emits: every case event carries the same
//! facts about the case, and every event is enqueued in the transaction of its change.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use kuaidi_shared::events::catalogue::EventPayload;
use kuaidi_shared::events::{CloudEvent, Outbox};
use kuaidi_shared::request::RequestContext;
use std::collections::HashMap;
use uuid::Uuid;

use crate::db::complaints::ComplaintRow;
use crate::db::schema::shipment_projection;

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
