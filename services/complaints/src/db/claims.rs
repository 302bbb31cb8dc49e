//! Claims: rows, pages, the claims on one parcel (under its lock), and the ageing of unsettled
//! ones.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use uuid::Uuid;

use super::schema::{claims, shipment_projection};
use super::shipments::ShipmentRow;
use crate::domain::claims::ClaimFilters;

#[derive(Debug, Clone, Queryable, Selectable, Insertable, AsChangeset, Identifiable)]
#[diesel(table_name = claims)]
#[diesel(check_for_backend(diesel::pg::Pg))]
#[diesel(treat_none_as_null = true)]
pub struct ClaimRow {
    pub id: Uuid,
    pub complaint_id: Option<Uuid>,
    pub tracking_number: String,
    pub kind: String,
    pub status: String,
    pub currency: String,
    pub amount_claimed_minor: i64,
    pub amount_payable_minor: i64,
    pub amount_approved_minor: Option<i64>,
    pub customer_id: Option<Uuid>,
    pub merchant_id: Option<Uuid>,
    pub reason: Option<String>,
    pub reference: Option<String>,
    pub escalated: bool,
    pub escalated_at: Option<DateTime<Utc>>,
    pub filed_by: String,
    pub filed_at: DateTime<Utc>,
    pub settled_at: Option<DateTime<Utc>>,
    pub updated_at: DateTime<Utc>,
    pub version: i32,
}

pub fn insert(conn: &mut PgConnection, row: &ClaimRow) -> QueryResult<()> {
    super::insert(conn, claims::table, row)
}

pub fn save(conn: &mut PgConnection, row: &ClaimRow) -> QueryResult<()> {
    super::save(conn, row)
}

pub fn find(conn: &mut PgConnection, id: Uuid, lock: bool) -> QueryResult<Option<ClaimRow>> {
    let q = claims::table.find(id).select(ClaimRow::as_select());
    if lock {
        q.for_update().first(conn).optional()
    } else {
        q.first(conn).optional()
    }
}

/// The projected shipment `tracking_number`, its row locked until the transaction ends: what
/// changes the share of its cap a claim holds, or pays (filing, assessing, approving, paying),
/// takes this lock before it reads the other claims, so the claims on one parcel are decided one
/// at a time (`domain::claims::caps`). An action locks its own claim's row before it, and no
/// one holding it locks another claim's row, so two transactions never wait on each other in a
/// circle. The projection only inserts these rows: what waits on the lock is other claims.
pub fn lock_parcel(
    conn: &mut PgConnection,
    tracking_number: &str,
) -> QueryResult<Option<ShipmentRow>> {
    shipment_projection::table
        .find(tracking_number)
        .select(ShipmentRow::as_select())
        .for_no_key_update()
        .first(conn)
        .optional()
}

/// The claims on parcel `tracking_number` that hold part of its caps (all but the rejected),
/// except `except`.
pub fn on_parcel(
    conn: &mut PgConnection,
    tracking_number: &str,
    except: Option<Uuid>,
) -> QueryResult<Vec<ClaimRow>> {
    let mut q = claims::table
        .filter(claims::tracking_number.eq(tracking_number))
        .filter(claims::status.ne("rejected"))
        .select(ClaimRow::as_select())
        .into_boxed();
    if let Some(id) = except {
        q = q.filter(claims::id.ne(id));
    }
    q.order((claims::filed_at.asc(), claims::id.asc()))
        .load(conn)
}

/// One page (`limit + 1` rows) after `(filed_at, id)`, oldest first.
pub fn page(
    conn: &mut PgConnection,
    f: &ClaimFilters,
    after: Option<(DateTime<Utc>, Uuid)>,
    limit: i64,
) -> QueryResult<Vec<ClaimRow>> {
    use claims as c;
    let mut q = c::table.select(ClaimRow::as_select()).into_boxed();
    if let Some(v) = &f.status {
        q = q.filter(c::status.eq(v.clone()));
    }
    if let Some(v) = &f.kind {
        q = q.filter(c::kind.eq(v.clone()));
    }
    if let Some(v) = f.complaint_id {
        q = q.filter(c::complaint_id.eq(v));
    }
    if let Some(v) = &f.tracking_number {
        q = q.filter(c::tracking_number.eq(v.clone()));
    }
    if let Some(t) = f.filed_before_unsettled {
        q = q.filter(c::settled_at.is_null()).filter(c::filed_at.le(t));
    }
    if let Some(t) = f.tenant {
        q = q.filter(c::merchant_id.eq(t));
    }
    if let Some((at, id)) = after {
        q = q.filter(c::filed_at.gt(at).or(c::filed_at.eq(at).and(c::id.gt(id))));
    }
    q.order((c::filed_at.asc(), c::id.asc()))
        .limit(limit + 1)
        .load(conn)
}

/// Marks unsettled claims filed at or before `cutoff` as escalated (once); returns the cases
/// they belong to.
pub fn escalate_aged(
    conn: &mut PgConnection,
    cutoff: DateTime<Utc>,
    now: DateTime<Utc>,
) -> QueryResult<Vec<(Uuid, Option<Uuid>)>> {
    diesel::update(
        claims::table
            .filter(claims::settled_at.is_null())
            .filter(claims::escalated.eq(false))
            .filter(claims::filed_at.le(cutoff)),
    )
    .set((
        claims::escalated.eq(true),
        claims::escalated_at.eq(now),
        claims::updated_at.eq(now),
        claims::version.eq(claims::version + 1),
    ))
    .returning((claims::id, claims::complaint_id))
    .get_results(conn)
}
