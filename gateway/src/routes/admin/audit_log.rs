//! `GET /api/v1/audit-log`.

use actix_web::HttpResponse;
use base64::Engine;
use chrono::{DateTime, Utc};
use diesel::dsl::sql;
use diesel::expression::BoxableExpression;
use diesel::pg::Pg;
use diesel::prelude::*;
use diesel::sql_types::{Bool, Text};
use kuaidi_shared::capabilities::{caps, Authorized};
use kuaidi_shared::db;
use kuaidi_shared::deps::Deps;
use kuaidi_shared::extract::Query;
use kuaidi_shared::openapi::{Forbidden, Unprocessable};
use kuaidi_shared::ApiError;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::db::schema::audit_log;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    /// A principal (`sub`): a user id, `client:<id>` or `api_key:<id>`.
    pub principal: Option<String>,
    /// e.g. `auth.login`, `auth.token`, `pii.read`, `user.update`, `customer.erase`,
    /// `customer.merge`, `customer.merge_undo`.
    pub action: Option<String>,
    pub outcome: Option<String>,
    /// What an entry is about, e.g. a user id or `customer:<id>`: the entries about exactly
    /// that, and the unmasked reads (`pii.read`) that showed it among others (their target
    /// lists them: `customer:<id1>,<id2>`).
    pub target: Option<String>,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
    /// Page size, 1–200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    /// `next_cursor` of the previous page.
    #[param(pattern = "^[A-Za-z0-9_-]+$")]
    pub cursor: Option<String>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema, Queryable)]
pub struct AuditEntry {
    pub id: i64,
    pub at: DateTime<Utc>,
    pub principal: Option<String>,
    pub role: Option<String>,
    pub action: String,
    pub target: Option<String>,
    pub outcome: String,
    pub request_id: Option<String>,
    pub ip: Option<String>,
    pub details: serde_json::Value,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct AuditPage {
    pub data: Vec<AuditEntry>,
    pub next_cursor: Option<String>,
}

fn decode_cursor(c: &str) -> Result<i64, ApiError> {
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(c)
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .and_then(|s| s.strip_prefix("audit:").and_then(|n| n.parse().ok()))
        .ok_or_else(|| ApiError::validation("cursor", "not a cursor returned by this API"))
}

/// The entries about `target` (see [`AuditQuery::target`]): `kind:id` is also found in a
/// target `kind:a,id,b`.
fn about(target: String) -> Box<dyn BoxableExpression<audit_log::table, Pg, SqlType = Bool>> {
    let exact = sql::<Bool>("(target = ").bind::<Text, _>(target.clone());
    let (kind, id) = match target.split_once(':') {
        Some((kind, id)) if !id.is_empty() && !id.contains(',') => (format!("{kind}:"), id),
        // Not one `kind:id`: found only as it is.
        _ => return Box::new(exact.sql(")")),
    };
    let listed = exact
        .sql(" OR (left(target, length(")
        .bind::<Text, _>(kind.clone())
        .sql(")) = ")
        .bind::<Text, _>(kind.clone())
        .sql(" AND ")
        .bind::<Text, _>(id.to_owned())
        .sql(" = ANY(string_to_array(substr(target, length(")
        .bind::<Text, _>(kind)
        .sql(") + 1), ','))))");
    Box::new(listed)
}

/// The audit log, newest first, filtered.
#[utoipa::path(get, path = "/api/v1/audit-log", tag = "admin", params(AuditQuery),
    responses((status = 200, description = "A page of audit entries, newest first", body = AuditPage),
        Forbidden, Unprocessable))]
pub async fn list_audit_log(
    _admin: Authorized<caps::Administration>,
    q: Query<AuditQuery>,
    deps: Deps,
) -> Result<HttpResponse, ApiError> {
    let q = q.into_inner();
    let limit = q.limit.unwrap_or(50);
    if !(1..=200).contains(&limit) {
        return Err(ApiError::validation("limit", "must be between 1 and 200"));
    }
    let before = q.cursor.as_deref().map(decode_cursor).transpose()?;
    let mut rows: Vec<AuditEntry> = db::run(&deps.pool, move |conn| {
        let mut s = audit_log::table.into_boxed();
        if let Some(p) = q.principal {
            s = s.filter(audit_log::principal.eq(p));
        }
        if let Some(a) = q.action {
            s = s.filter(audit_log::action.eq(a));
        }
        if let Some(o) = q.outcome {
            s = s.filter(audit_log::outcome.eq(o));
        }
        if let Some(t) = q.target {
            s = s.filter(about(t));
        }
        if let Some(f) = q.from {
            s = s.filter(audit_log::at.ge(f));
        }
        if let Some(t) = q.to {
            s = s.filter(audit_log::at.lt(t));
        }
        if let Some(b) = before {
            s = s.filter(audit_log::id.lt(b));
        }
        Ok(s.order(audit_log::id.desc()).limit(limit + 1).load(conn)?)
    })
    .await?;
    let more = rows.len() as i64 > limit;
    rows.truncate(limit as usize);
    let next_cursor = more
        .then(|| {
            rows.last().map(|r| {
                base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("audit:{}", r.id))
            })
        })
        .flatten();
    Ok(HttpResponse::Ok().json(AuditPage {
        data: rows,
        next_cursor,
    }))
}
