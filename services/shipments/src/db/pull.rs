//! Reads for merchants and apps: incremental pull by `(updated_at, id)` and lookups of many
//! tracking numbers at once, always within the caller's scope, and the timelines of the
//! shipments they answer.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Array, Uuid as SqlUuid};
use std::collections::HashMap;
use uuid::Uuid;

use super::schema::shipments;
use super::shipments::{scoped, Scope, ShipmentRow};
use super::tracking_events::{event_columns, EventRow};

/// The filters on the shipment itself (status, recipient phone, shipper), the same on a staff
/// list and on a merchant's walk of `shipment_changes` (two query types, one set of filters).
macro_rules! shipment_filters {
    ($q:ident, $f:ident) => {{
        let mut q = $q;
        if let Some(status) = &$f.status {
            q = q.filter(shipments::status.eq(status.clone()));
        }
        if let Some(idx) = &$f.recipient_phone_index {
            q = q.filter(shipments::recipient_phone_index.eq(idx.clone()));
        }
        if let Some(shipper) = $f.shipper_customer_id {
            q = q.filter(shipments::shipper_customer_id.eq(shipper));
        }
        q
    }};
}

/// Filters of `GET /api/v1/shipments`.
#[derive(Debug, Clone, Default)]
pub struct PullFilter {
    pub updated_since: Option<DateTime<Utc>>,
    pub status: Option<String>,
    /// Blind index of a recipient phone (staff filter).
    pub recipient_phone_index: Option<String>,
    /// Only this merchant's: within a merchant's scope, its own or nothing.
    pub merchant_id: Option<Uuid>,
    /// Only those sent by this customer file.
    pub shipper_customer_id: Option<Uuid>,
    /// Resume after this `(updated_at, id)`.
    pub after: Option<(DateTime<Utc>, Uuid)>,
}

/// Shipments changed since a point, oldest change first (`limit + 1` rows: the extra one only
/// says there is more). A merchant's pull, and staff's list of one merchant, walk
/// `shipment_changes` in `(changed_at, id)` order, so a page costs the same however many
/// shipments the merchant has; the other scopes filter on their own indexed columns. A filter
/// narrows the scope, never widens it: a merchant naming another merchant finds nothing.
pub fn changed(
    conn: &mut PgConnection,
    scope: &Scope,
    f: &PullFilter,
    limit: i64,
) -> QueryResult<Vec<ShipmentRow>> {
    let merchant = match (scope, f.merchant_id) {
        (Scope::Merchant(own), Some(named)) if named != *own => return Ok(Vec::new()),
        (Scope::Merchant(own), _) => Some(*own),
        (Scope::All, named) => named,
        (Scope::Customer(_), _) => None,
    };
    if let Some(m) = merchant {
        return merchants(conn, m, f, limit);
    }
    let mut q = scoped(conn, scope)?.select(ShipmentRow::as_select());
    if let Some(m) = f.merchant_id {
        q = q.filter(shipments::merchant_id.eq(m));
    }
    if let Some(since) = f.updated_since {
        q = q.filter(shipments::updated_at.ge(since));
    }
    q = shipment_filters!(q, f);
    if let Some((at, id)) = f.after {
        q = q.filter(
            shipments::updated_at
                .gt(at)
                .or(shipments::updated_at.eq(at).and(shipments::id.gt(id))),
        );
    }
    q.order((shipments::updated_at.asc(), shipments::id.asc()))
        .limit(limit + 1)
        .load(conn)
}

/// A merchant's pull: `shipment_changes.changed_at` is the shipment's `updated_at` (the
/// triggers of migration `hot_tracking_updates` keep it so), indexed by merchant.
fn merchants(
    conn: &mut PgConnection,
    merchant: Uuid,
    f: &PullFilter,
    limit: i64,
) -> QueryResult<Vec<ShipmentRow>> {
    use super::schema::shipment_changes as c;
    let mut q = c::table
        .inner_join(shipments::table)
        .filter(c::merchant_id.eq(merchant))
        .select(ShipmentRow::as_select())
        .into_boxed();
    if let Some(since) = f.updated_since {
        q = q.filter(c::changed_at.ge(since));
    }
    q = shipment_filters!(q, f);
    if let Some((at, id)) = f.after {
        // The first conjunct bounds the index range; the second is the exact cursor.
        q = q.filter(c::changed_at.ge(at)).filter(
            c::changed_at
                .gt(at)
                .or(c::changed_at.eq(at).and(c::shipment_id.gt(id))),
        );
    }
    q.order((c::changed_at.asc(), c::shipment_id.asc()))
        .limit(limit + 1)
        .load(conn)
}

/// The shipments among `tracking_numbers` that are within `scope`.
pub fn many(
    conn: &mut PgConnection,
    scope: &Scope,
    tracking_numbers: &[String],
) -> QueryResult<Vec<ShipmentRow>> {
    scoped(conn, scope)?
        .filter(shipments::tracking_number.eq_any(tracking_numbers))
        .select(ShipmentRow::as_select())
        .load(conn)
}

/// An event of one of many shipments' timelines.
#[derive(QueryableByName)]
struct OwnedEventRow {
    #[diesel(sql_type = SqlUuid)]
    shipment_id: Uuid,
    #[diesel(embed)]
    event: EventRow,
}

/// The timelines of many shipments (a page, a batch lookup) in one query, not one per shipment:
/// every accepted event of each, oldest first; a shipment without events has no entry.
pub fn timelines(
    conn: &mut PgConnection,
    shipment_ids: &[Uuid],
) -> QueryResult<HashMap<Uuid, Vec<EventRow>>> {
    if shipment_ids.is_empty() {
        return Ok(HashMap::new());
    }
    let rows: Vec<OwnedEventRow> = diesel::sql_query(concat!(
        "SELECT shipment_id, ",
        event_columns!(),
        " FROM tracking_events WHERE shipment_id = ANY($1) \
         ORDER BY shipment_id, occurred_at, sequence"
    ))
    .bind::<Array<SqlUuid>, _>(shipment_ids)
    .load(conn)?;
    let mut by_shipment: HashMap<Uuid, Vec<EventRow>> = HashMap::new();
    for row in rows {
        by_shipment
            .entry(row.shipment_id)
            .or_default()
            .push(row.event);
    }
    Ok(by_shipment)
}
