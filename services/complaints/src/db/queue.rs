//! The case queue: filters, tenant confinement, ordering by SLA due, keyset pages.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use kuaidi_shared::auth::{Principal, Role};
use kuaidi_shared::pagination::Cursor;
use kuaidi_shared::{ApiError, FieldError};
use std::str::FromStr;
use uuid::Uuid;

use super::complaints::{ComplaintRow, BREACHED, WARNED};
use super::schema::complaints;
use crate::api::complaints::ComplaintFilters;
use crate::domain::lifecycle::Status;
use crate::domain::vocab::{Category, Department, Priority, TYPES};
use diesel::dsl::sql;
use diesel::sql_types::{Bool, Nullable, Timestamptz};

/// Validated filters, the caller's tenant rule included.
#[derive(Debug, Default)]
pub struct Filters {
    status: Option<Vec<String>>,
    type_: Option<Vec<String>>,
    category: Option<Vec<String>>,
    priority: Option<Vec<String>>,
    assignee: Option<Uuid>,
    department: Option<Vec<String>>,
    customer_id: Option<Uuid>,
    tracking_number: Option<String>,
    merchant_id: Option<Uuid>,
    warned: bool,
    breached: bool,
    received_from: Option<DateTime<Utc>>,
    received_to: Option<DateTime<Utc>>,
    /// Merchants: their own cases.
    tenant: Option<Uuid>,
    /// End customers: the cases they opened and those the desk opened for their files (by the
    /// phone blind index in their token; `None` inside: none at all).
    reporter: Option<Option<String>>,
}

/// Comma-separated values, each one of `T`.
fn values<T: FromStr>(
    errors: &mut Vec<FieldError>,
    field: &str,
    raw: &Option<String>,
    listed: &str,
) -> Option<Vec<String>> {
    let raw = raw.as_deref()?;
    let parts: Vec<String> = raw
        .split(',')
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
        .collect();
    if parts.is_empty() || parts.iter().any(|p| p.parse::<T>().is_err()) {
        errors.push(FieldError::new(
            field,
            format!("must be one or more of {listed}"),
        ));
        return None;
    }
    Some(parts)
}

fn uuid(errors: &mut Vec<FieldError>, field: &str, raw: &Option<String>) -> Option<Uuid> {
    let raw = raw.as_deref()?;
    Uuid::parse_str(raw)
        .map_err(|_| errors.push(FieldError::new(field, "must be a UUID")))
        .ok()
}

fn time(errors: &mut Vec<FieldError>, field: &str, raw: &Option<String>) -> Option<DateTime<Utc>> {
    let raw = raw.as_deref()?;
    DateTime::parse_from_rfc3339(raw)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|_| errors.push(FieldError::new(field, "must be an RFC 3339 timestamp")))
        .ok()
}

/// A case type (for [`values`]).
struct TypeName;
impl FromStr for TypeName {
    type Err = ();
    fn from_str(s: &str) -> Result<Self, ()> {
        TYPES.contains(&s).then_some(TypeName).ok_or(())
    }
}

impl Filters {
    pub fn parse(q: &ComplaintFilters, caller: &Principal) -> Result<Self, ApiError> {
        let mut e = Vec::new();
        let statuses = "received, triaged, assigned, investigating, pending_approval, resolving, awaiting_feedback, closed, reopened";
        let mut f = Filters {
            status: values::<Status>(&mut e, "status", &q.status, statuses),
            type_: values::<TypeName>(&mut e, "type", &q.type_, &TYPES.join(", ")),
            category: values::<Category>(&mut e, "category", &q.category, &Category::listed()),
            priority: values::<Priority>(&mut e, "priority", &q.priority, &Priority::listed()),
            department: values::<Department>(
                &mut e,
                "department",
                &q.department,
                &Department::listed(),
            ),
            customer_id: uuid(&mut e, "customer_id", &q.customer_id),
            merchant_id: uuid(&mut e, "merchant_id", &q.merchant_id),
            tracking_number: q
                .tracking_number
                .as_ref()
                .map(|t| t.trim().to_ascii_uppercase()),
            received_from: time(&mut e, "received_from", &q.received_from),
            received_to: time(&mut e, "received_to", &q.received_to),
            ..Filters::default()
        };
        f.assignee = match q.assignee.as_deref() {
            Some("me") => match caller.user_id() {
                Some(id) => Some(id),
                None => {
                    e.push(FieldError::new("assignee", "`me` needs a user token"));
                    None
                }
            },
            _ => uuid(&mut e, "assignee", &q.assignee),
        };
        if f.tracking_number
            .as_deref()
            .is_some_and(|t| !crate::domain::fields::storable(t))
        {
            e.push(FieldError::new(
                "tracking_number",
                "must not contain NUL characters",
            ));
        }
        match q.sla.as_deref() {
            None => {}
            Some("warned") => f.warned = true,
            Some("breached") => f.breached = true,
            Some(_) => e.push(FieldError::new("sla", "must be warned or breached")),
        }
        match caller.role {
            Role::Merchant => f.tenant = Some(caller.merchant_id.unwrap_or_else(Uuid::nil)),
            Role::Customer => f.reporter = Some(caller.phone_hash.clone()),
            _ => {}
        }
        if e.is_empty() {
            Ok(f)
        } else {
            Err(ApiError::Validation(e))
        }
    }
}

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
