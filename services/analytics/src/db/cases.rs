//! `cases`: cases of every type (complaints, inquiries, suggestions, praise) as far as
//! analytics needs them (type, dimensions, handler, timings).

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use uuid::Uuid;

use super::schema::cases as c;
use super::shipments;
use crate::domain::cases::{is_complaint, COMPLAINT};
use crate::domain::facts::{dimension, Dims};

/// What an event tells about a case: enough to place it when no earlier event did.
#[derive(Debug, Clone, Default)]
pub struct CaseRef<'a> {
    pub complaint_id: Uuid,
    pub type_: Option<&'a str>,
    pub tracking_number: Option<&'a str>,
    pub city: Option<&'a str>,
    pub category: Option<&'a str>,
    pub merchant_id: Option<Uuid>,
    pub customer_id: Option<Uuid>,
    pub assignee_id: Option<Uuid>,
    pub received_at: Option<DateTime<Utc>>,
}

/// A case's dimensions as `cases` keeps them.
#[derive(Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = c)]
#[diesel(check_for_backend(diesel::pg::Pg))]
struct CaseDims {
    city: String,
    province: String,
    hub: String,
    service_level: String,
    value_tier: String,
    merchant_id: Uuid,
    category: String,
    /// Changed by an assignment only (`place`), never by placing the case again.
    #[diesel(skip_update)]
    handler_id: Uuid,
}

impl From<CaseDims> for Dims {
    fn from(d: CaseDims) -> Self {
        Dims {
            city: d.city,
            province: d.province,
            hub: d.hub,
            service_level: d.service_level,
            value_tier: d.value_tier,
            merchant_id: d.merchant_id,
            category: d.category,
            handler_id: d.handler_id,
        }
    }
}

impl From<&Dims> for CaseDims {
    fn from(d: &Dims) -> Self {
        CaseDims {
            city: d.city.clone(),
            province: d.province.clone(),
            hub: d.hub.clone(),
            service_level: d.service_level.clone(),
            value_tier: d.value_tier.clone(),
            merchant_id: d.merchant_id,
            category: d.category.clone(),
            handler_id: d.handler_id,
        }
    }
}

/// A case placed (inserted, or its placement written again: all but the handler).
#[derive(Insertable, AsChangeset)]
#[diesel(table_name = c, primary_key(complaint_id))]
#[diesel(treat_none_as_null = true)]
struct NewCase {
    complaint_id: Uuid,
    type_: String,
    tracking_number: String,
    #[diesel(embed)]
    dims: CaseDims,
    received_at: Option<DateTime<Utc>>,
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = c)]
#[diesel(check_for_backend(diesel::pg::Pg))]
struct KnownCase {
    type_: String,
    #[diesel(embed)]
    dims: CaseDims,
}

/// A case as its events count: its type (which figures it counts in:
/// `domain::cases`) and its dimensions.
#[derive(Debug, Clone)]
pub struct Placed {
    pub type_: String,
    pub dims: Dims,
}

/// The type and dimensions of an event's case (of every type), placing the case from the
/// event and the shipment it is about (the shipment's hub, service level, province; the
/// customer's tier) when not known yet.
pub fn place(conn: &mut PgConnection, r: &CaseRef) -> anyhow::Result<Placed> {
    let known: Option<(String, Dims)> = c::table
        .find(r.complaint_id)
        .select(KnownCase::as_select())
        .first::<KnownCase>(conn)
        .optional()?
        .map(|k| (k.type_, k.dims.into()));
    // The received event is the authority; others only place a case not seen yet.
    let (type_, mut dims) = match (known, r.received_at) {
        (Some(k), None) => k,
        (known, _) => {
            let dims = dims_of(conn, r, known.as_ref().map(|k| &k.1))?;
            let type_ = dimension(
                r.type_
                    .or(known.as_ref().map(|k| k.0.as_str()))
                    .or(Some(COMPLAINT)),
            );
            save(conn, r, &type_, &dims)?;
            (type_, dims)
        }
    };
    if let Some(handler) = r.assignee_id {
        if handler != dims.handler_id {
            diesel::update(c::table.find(r.complaint_id))
                .set(c::handler_id.eq(handler))
                .execute(conn)?;
        }
        dims.handler_id = handler;
    }
    Ok(Placed { type_, dims })
}

fn dims_of(conn: &mut PgConnection, r: &CaseRef, known: Option<&Dims>) -> anyhow::Result<Dims> {
    let shipment = match r.tracking_number.map(str::trim).filter(|t| !t.is_empty()) {
        Some(t) => shipments::dims_by_tracking(conn, t)?,
        None => None,
    }
    .unwrap_or_default();
    let tier = match r.customer_id {
        Some(id) => super::customers::tier(conn, id)?,
        None => None,
    };
    let city = dimension(r.city);
    Ok(Dims {
        city: if city.is_empty() { shipment.city } else { city },
        province: shipment.province,
        hub: shipment.hub,
        service_level: shipment.service_level,
        value_tier: tier.unwrap_or(shipment.value_tier),
        merchant_id: r.merchant_id.unwrap_or(shipment.merchant_id),
        category: dimension(r.category),
        handler_id: known.map(|k| k.handler_id).unwrap_or_default(),
    })
}

fn save(conn: &mut PgConnection, r: &CaseRef, type_: &str, d: &Dims) -> QueryResult<()> {
    let case = NewCase {
        complaint_id: r.complaint_id,
        type_: type_.to_owned(),
        tracking_number: dimension(r.tracking_number),
        dims: d.into(),
        received_at: r.received_at,
    };
    diesel::insert_into(c::table)
        .values(&case)
        .on_conflict(c::complaint_id)
        .do_update()
        .set(&case)
        .execute(conn)
        .map(drop)
}

/// Stamps a case's (latest) closing and its resolution time.
pub fn close(
    conn: &mut PgConnection,
    complaint_id: Uuid,
    received_at: DateTime<Utc>,
    closed_at: DateTime<Utc>,
) -> QueryResult<()> {
    diesel::update(c::table.find(complaint_id))
        .set((
            c::closed_at.eq(closed_at),
            c::resolution_seconds.eq((closed_at - received_at).num_seconds().max(0)),
        ))
        .execute(conn)
        .map(drop)
}

/// A case given another category after receipt (triage): its received complaint moves from
/// the old category's rollup row to the new one's. Returns the receipt time with the old and
/// new dimensions, or `None` when nothing moves (same category, not a complaint, or the
/// receipt not seen yet: it will count under the category it then carries).
pub fn recategorise(
    conn: &mut PgConnection,
    complaint_id: Uuid,
    category: &str,
) -> anyhow::Result<Option<(DateTime<Utc>, Dims, Dims)>> {
    let category = dimension(Some(category));
    let row: Option<(KnownCase, Option<DateTime<Utc>>)> = c::table
        .find(complaint_id)
        .select((KnownCase::as_select(), c::received_at))
        .for_update()
        .first(conn)
        .optional()?;
    let Some((k, Some(received_at))) = row else {
        return Ok(None);
    };
    if !is_complaint(&k.type_) || k.dims.category == category || category.is_empty() {
        return Ok(None);
    }
    diesel::update(c::table.find(complaint_id))
        .set(c::category.eq(&category))
        .execute(conn)?;
    let old = Dims {
        handler_id: Uuid::nil(),
        ..k.dims.into()
    };
    let new = Dims {
        category,
        ..old.clone()
    };
    Ok(Some((received_at, old, new)))
}
