//! Reads for merchants and apps: incremental pull by `(updated_at, id)` and lookups of many
//! tracking numbers at once, always within the caller's scope.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use uuid::Uuid;

use super::schema::shipments;
use super::shipments::{scoped, Scope, ShipmentRow};

/// Filters of `GET /api/v1/shipments`.
#[derive(Debug, Clone, Default)]
pub struct PullFilter {
    pub updated_since: Option<DateTime<Utc>>,
    pub status: Option<String>,
    /// Blind index of a recipient phone (staff filter).
    pub recipient_phone_index: Option<String>,
    /// Resume after this `(updated_at, id)`.
    pub after: Option<(DateTime<Utc>, Uuid)>,
}

/// Shipments changed since a point, oldest change first (`limit + 1` rows: the extra one only
/// says there is more).
pub fn changed(
    conn: &mut PgConnection,
    scope: &Scope,
    f: &PullFilter,
    limit: i64,
) -> QueryResult<Vec<ShipmentRow>> {
    let mut q = scoped(conn, scope)?.select(ShipmentRow::as_select());
    if let Some(since) = f.updated_since {
        q = q.filter(shipments::updated_at.ge(since));
    }
    if let Some(status) = &f.status {
        q = q.filter(shipments::status.eq(status.clone()));
    }
    if let Some(idx) = &f.recipient_phone_index {
        q = q.filter(shipments::recipient_phone_index.eq(idx.clone()));
    }
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
