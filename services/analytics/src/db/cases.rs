//! `cases`: cases of every type (complaints, inquiries, suggestions, praise), proactive or
//! not, as far as analytics needs them (type, proactive, dimensions, handler, timings).

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use uuid::Uuid;

use super::schema::cases as c;
use super::{rollup, shipments};
use crate::domain::cases::{is_received_complaint, on_receipt, Held, COMPLAINT};
use crate::domain::facts::{dimension, Dims};

/// What an event tells about a case: enough to place it when no earlier event did.
#[derive(Debug, Clone, Default)]
pub struct CaseRef<'a> {
    pub complaint_id: Uuid,
    pub type_: Option<&'a str>,
    /// Opened by the complaints service itself: told by `complaint.received` only (`None` from
    /// other events, which do not say).
    pub proactive: Option<bool>,
    pub tracking_number: Option<&'a str>,
    pub city: Option<&'a str>,
    pub category: Option<&'a str>,
    pub merchant_id: Option<Uuid>,
    pub customer_id: Option<Uuid>,
    pub assignee_id: Option<Uuid>,
    pub received_at: Option<DateTime<Utc>>,
    /// When the event happened: an assignee it names is the case's handler only if no newer
    /// event named another (events may arrive out of order).
    pub at: Option<DateTime<Utc>>,
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
    proactive: bool,
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
    proactive: bool,
    #[diesel(embed)]
    dims: CaseDims,
    received_at: Option<DateTime<Utc>>,
    first_responded_at: Option<DateTime<Utc>>,
    first_response_in_sla: Option<bool>,
    handler_since: Option<DateTime<Utc>>,
}

impl KnownCase {
    /// What its handler holds in the rollups.
    fn held(&self) -> Held {
        Held {
            receipt: self
                .received_at
                .map(|at| (at, on_receipt(&self.type_, self.proactive))),
            first_response: self
                .first_responded_at
                .map(|at| (at, self.first_response_in_sla.unwrap_or(false))),
        }
    }
}

/// A case as its events count: its type and whether it is proactive (which figures it counts
/// in: `domain::cases`), its dimensions with the handler the event names (else the case's), and
/// the case's handler now, under whom its receipt and first response count.
#[derive(Debug, Clone)]
pub struct Placed {
    pub type_: String,
    pub proactive: bool,
    pub dims: Dims,
    pub handler: Uuid,
}

/// The type and dimensions of an event's case (of every type), placing the case from the
/// event and the shipment it is about (the shipment's hub, service level, province; the
/// customer's tier) when not known yet. An assignee the event names, unless a newer event named
/// another, becomes the case's handler and takes over its receipt and first response.
pub fn place(conn: &mut PgConnection, r: &CaseRef) -> anyhow::Result<Placed> {
    // Every writer of the rollups takes this lock first: under it, a case is read and changed
    // by one transaction at a time, and no deadlock with the rollups' rows is possible.
    rollup::lock_writers(conn)?;
    let known: Option<KnownCase> = c::table
        .find(r.complaint_id)
        .select(KnownCase::as_select())
        .first::<KnownCase>(conn)
        .optional()?;
    let (held, since) = known
        .as_ref()
        .map_or((Held::default(), None), |k| (k.held(), k.handler_since));
    let known = known.map(|k| (k.type_, k.proactive, Dims::from(k.dims)));
    // The received event is the authority; others only place a case not seen yet (as not
    // proactive: they do not say, and its receipt, arriving later, tells).
    let (type_, proactive, mut dims) = match (known, r.received_at) {
        (Some(k), None) => k,
        (known, _) => {
            let dims = dims_of(conn, r, known.as_ref().map(|k| &k.2))?;
            let type_ = dimension(
                r.type_
                    .or(known.as_ref().map(|k| k.0.as_str()))
                    .or(Some(COMPLAINT)),
            );
            let proactive = r.proactive.or(known.as_ref().map(|k| k.1)).unwrap_or(false);
            save(conn, r, &type_, proactive, &dims)?;
            (type_, proactive, dims)
        }
    };
    let mut handler = dims.handler_id;
    if let Some(assignee) = r.assignee_id {
        let newer = match (since, r.at) {
            (Some(since), Some(at)) => at >= since,
            _ => true,
        };
        if assignee != handler && newer {
            diesel::update(c::table.find(r.complaint_id))
                .set((c::handler_id.eq(assignee), c::handler_since.eq(r.at)))
                .execute(conn)?;
            rollup::shift(conn, &held.moved(&dims, handler, assignee))?;
            handler = assignee;
        }
        dims.handler_id = assignee;
    }
    Ok(Placed {
        type_,
        proactive,
        dims,
        handler,
    })
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

fn save(
    conn: &mut PgConnection,
    r: &CaseRef,
    type_: &str,
    proactive: bool,
    d: &Dims,
) -> QueryResult<()> {
    let case = NewCase {
        complaint_id: r.complaint_id,
        type_: type_.to_owned(),
        proactive,
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

/// Stamps a case's (latest) closing, its resolution time and who closed it (the handler the
/// closing is counted for).
pub fn close(
    conn: &mut PgConnection,
    complaint_id: Uuid,
    received_at: DateTime<Utc>,
    closed_at: DateTime<Utc>,
    closed_by: Uuid,
) -> QueryResult<()> {
    diesel::update(c::table.find(complaint_id))
        .set((
            c::closed_at.eq(closed_at),
            c::resolution_seconds.eq((closed_at - received_at).num_seconds().max(0)),
            c::closed_by.eq(Some(closed_by)),
        ))
        .execute(conn)
        .map(drop)
}

/// Records a case's first response; `false` when one was recorded already (a case has one).
pub fn first_responded(
    conn: &mut PgConnection,
    complaint_id: Uuid,
    at: DateTime<Utc>,
    within_sla: bool,
) -> QueryResult<bool> {
    diesel::update(
        c::table
            .find(complaint_id)
            .filter(c::first_responded_at.is_null()),
    )
    .set((
        c::first_responded_at.eq(at),
        c::first_response_in_sla.eq(within_sla),
    ))
    .execute(conn)
    .map(|n| n == 1)
}

/// A case given another category after receipt (triage): its received complaint moves from
/// the old category's rollup row to the new one's, under the case's handler. Returns the
/// receipt time with the old and new dimensions, or `None` when nothing moves (same category,
/// not a complaint received from a customer — another type, or a proactive case — or the
/// receipt not seen yet: it will count under the category it then carries).
pub fn recategorise(
    conn: &mut PgConnection,
    complaint_id: Uuid,
    category: &str,
) -> anyhow::Result<Option<(DateTime<Utc>, Dims, Dims)>> {
    rollup::lock_writers(conn)?;
    let category = dimension(Some(category));
    let row: Option<KnownCase> = c::table
        .find(complaint_id)
        .select(KnownCase::as_select())
        .first(conn)
        .optional()?;
    let Some(KnownCase {
        type_,
        proactive,
        dims,
        received_at: Some(received_at),
        ..
    }) = row
    else {
        return Ok(None);
    };
    if !is_received_complaint(&type_, proactive) || dims.category == category || category.is_empty()
    {
        return Ok(None);
    }
    diesel::update(c::table.find(complaint_id))
        .set(c::category.eq(&category))
        .execute(conn)?;
    let old = Dims::from(dims);
    let new = Dims {
        category,
        ..old.clone()
    };
    Ok(Some((received_at, old, new)))
}
