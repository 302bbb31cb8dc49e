//! The audit log (SPEC §3): authentications, token issuance, unmasked PII reads and admin
//! changes, with principal, action, target, request id, IP and time. Secrets never go in.

use actix_web::HttpRequest;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use kuaidi_shared::auth::Principal;
use kuaidi_shared::db::PgPool;
use kuaidi_shared::request::RequestContext;

use crate::db::schema::audit_log;

/// One audited action.
#[derive(Debug, Clone)]
pub struct Audit {
    pub principal: Option<String>,
    pub role: Option<String>,
    pub action: &'static str,
    pub target: Option<String>,
    /// `success` | `failure` | `denied`.
    pub outcome: &'static str,
    pub details: serde_json::Value,
}

impl Audit {
    pub fn by(p: &Principal, action: &'static str, target: impl Into<Option<String>>) -> Self {
        Self {
            principal: Some(p.sub.clone()),
            role: Some(p.role.as_str().to_owned()),
            action,
            target: target.into(),
            outcome: "success",
            details: serde_json::Value::Object(Default::default()),
        }
    }

    pub fn details(mut self, d: serde_json::Value) -> Self {
        self.details = d;
        self
    }

    pub fn outcome(mut self, o: &'static str) -> Self {
        self.outcome = o;
        self
    }
}

/// Where a request came from, for the log.
pub fn client_ip(req: &HttpRequest) -> Option<String> {
    req.peer_addr().map(|a| a.ip().to_string())
}

/// Writes `entry`. An audit row that cannot be written is logged loudly but does not fail the
/// caller's request.
pub async fn record(pool: &PgPool, ctx: &RequestContext, ip: Option<String>, entry: Audit) {
    let pool = pool.clone();
    let request_id = ctx.request_id.clone();
    let now: DateTime<Utc> = Utc::now();
    let action = entry.action;
    let written = tokio::task::spawn_blocking(move || {
        let mut conn = pool.get()?;
        diesel::insert_into(audit_log::table)
            .values((
                audit_log::at.eq(now),
                audit_log::principal.eq(entry.principal),
                audit_log::role.eq(entry.role),
                audit_log::action.eq(entry.action),
                audit_log::target.eq(entry.target),
                audit_log::outcome.eq(entry.outcome),
                audit_log::request_id.eq(Some(request_id)),
                audit_log::ip.eq(ip),
                audit_log::details.eq(entry.details),
            ))
            .execute(&mut conn)?;
        Ok::<_, anyhow::Error>(())
    })
    .await;
    if !matches!(written, Ok(Ok(()))) {
        tracing::error!(action, "audit row could not be written");
    }
}
