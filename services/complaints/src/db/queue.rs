//! The case queue: the filters (`domain::queue::Filters`), tenant confinement, ordering by SLA
//! due, keyset pages.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use kuaidi_shared::pagination::Cursor;

use super::complaints::{ComplaintRow, BREACHED, WARNED};
use super::schema::complaints;
use crate::domain::queue::Filters;
use diesel::dsl::sql;
use diesel::sql_types::{Bool, Nullable, Timestamptz};

/// One page (`limit + 1` rows) after `cursor`, by SLA due then id.
pub fn page(
    conn: &mut PgConnection,
    f: &Filters,
    cursor: Option<Cursor>,
    limit: i64,
) -> QueryResult<Vec<(ComplaintRow, Option<DateTime<Utc>>)>> {
    use complaints as c;
    let due = || sql::<Nullable<Timestamptz>>("sla_due");
    let mut q = c::table
        .select((ComplaintRow::as_select(), due()))
        .into_boxed();
    if let Some(v) = &f.status {
        q = q.filter(c::status.eq_any(v.clone()));
    }
    if let Some(v) = &f.type_ {
        q = q.filter(c::type_.eq_any(v.clone()));
    }
    if let Some(v) = &f.category {
        q = q.filter(c::category.eq_any(v.clone()));
    }
    if let Some(v) = &f.priority {
        q = q.filter(c::priority.eq_any(v.clone()));
    }
    if let Some(v) = &f.department {
        q = q.filter(c::department.eq_any(v.clone()));
    }
    if let Some(v) = f.assignee {
        q = q.filter(c::assignee_id.eq(v));
    }
    if let Some(v) = f.customer_id {
        q = q.filter(c::customer_id.eq(v));
    }
    if let Some(v) = f.merchant_id {
        q = q.filter(c::merchant_id.eq(v));
    }
    if let Some(v) = &f.tracking_number {
        q = q.filter(c::tracking_number.eq(v.clone()));
    }
    if let Some(v) = f.received_from {
        q = q.filter(c::created_at.ge(v));
    }
    if let Some(v) = f.received_to {
        q = q.filter(c::created_at.lt(v));
    }
    if f.warned {
        q = q.filter(sql::<Bool>(&format!("sla_flags & {WARNED} <> 0")));
    }
    if f.breached {
        q = q.filter(sql::<Bool>(&format!("sla_flags & {BREACHED} <> 0")));
    }
    if let Some(t) = f.tenant {
        q = q.filter(c::merchant_id.eq(t));
    }
    match &f.reporter {
        Some(Some(hash)) => {
            let own = super::customers::PHONES.ids_by_phone(conn, hash)?;
            q = q.filter(
                c::reporter_phone_hash
                    .eq(hash.clone())
                    .or(c::reporter_phone_hash
                        .is_null()
                        .and(c::customer_id.eq_any(own))),
            )
        }
        Some(None) => q = q.filter(c::id.is_null()),
        None => {}
    }
    if let Some(cur) = cursor {
        q = q.filter(
            sql::<Bool>("(sla_due, id) > (")
                .bind::<Timestamptz, _>(cur.at)
                .sql(", ")
                .bind::<diesel::sql_types::Uuid, _>(cur.id)
                .sql(")"),
        );
    }
    q.order((due().asc(), c::id.asc()))
        .limit(limit + 1)
        .load(conn)
}
