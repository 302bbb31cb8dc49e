//! The case queue's query (`ComplaintFilters`) parsed into `domain::queue::Filters`: every
//! bad field named in one 422.

use chrono::{DateTime, Utc};
use kuaidi_shared::auth::{Principal, Role};
use kuaidi_shared::{ApiError, FieldError};
use std::str::FromStr;
use uuid::Uuid;

use super::complaints::ComplaintFilters;
use crate::domain::lifecycle::Status;
use crate::domain::queue::Filters;
use crate::domain::vocab::{Category, Department, Priority, TYPES};

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

impl ComplaintFilters {
    /// The validated filters, with `caller`'s tenant rule.
    pub fn parse(&self, caller: &Principal) -> Result<Filters, ApiError> {
        let q = self;
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
        if let (Some(from), Some(to)) = (f.received_from, f.received_to) {
            if from > to {
                e.push(FieldError::new(
                    "received_from",
                    "must not be after received_to",
                ));
                e.push(FieldError::new(
                    "received_to",
                    "must not be before received_from",
                ));
            }
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
