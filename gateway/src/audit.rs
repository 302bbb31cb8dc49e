//! The audit log (SPEC §3): authentications, token issuance, unmasked PII reads and admin
//! changes, with principal, action, target, request id, IP and time. Secrets never go in.

use actix_web::HttpRequest;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use kuaidi_shared::auth::Principal;
use kuaidi_shared::clock::Clock;
use kuaidi_shared::db::{self, PgPool};
use kuaidi_shared::request::RequestContext;

use crate::db::schema::audit_log;

/// Deletes one batch of entries older than `$1` (at most `$2`): the retention job
/// (`audit.retention_days`).
pub const PURGE_SQL: &str = "DELETE FROM audit_log WHERE id IN (\
    SELECT id FROM audit_log WHERE at < $1 ORDER BY at LIMIT $2)";

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

    /// A success of the subject a token is being issued to.
    pub fn by_subject(s: &crate::tokens::Subject, action: &'static str) -> Self {
        Self {
            principal: Some(s.sub.clone()),
            role: Some(s.role.as_str().to_owned()),
            action,
            target: None,
            outcome: "success",
            details: serde_json::Value::Object(Default::default()),
        }
    }

    /// A refused authentication by no known principal; `details` says what was tried (never
    /// a secret).
    pub fn failure(action: &'static str, details: serde_json::Value) -> Self {
        Self {
            principal: None,
            role: None,
            action,
            target: None,
            outcome: "failure",
            details,
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

/// Writes audit rows, stamped by the gateway's clock.
#[derive(Clone)]
pub struct Auditor {
    pool: PgPool,
    clock: Clock,
}

impl Auditor {
    pub fn new(pool: PgPool, clock: Clock) -> Self {
        Self { pool, clock }
    }

    /// The gateway's database.
    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    /// The gateway's clock.
    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    /// Writes `entry` for the request `req`. An audit row that cannot be written is logged
    /// loudly but does not fail the caller's request.
    pub async fn record(&self, req: &HttpRequest, ctx: &RequestContext, entry: Audit) {
        self.record_for(req.peer_addr(), ctx, entry).await
    }

    /// [`Auditor::record`] for a request from `peer`.
    pub async fn record_for(
        &self,
        peer: Option<std::net::SocketAddr>,
        ctx: &RequestContext,
        entry: Audit,
    ) {
        let row = NewAuditRow {
            at: self.clock.now(),
            principal: entry.principal,
            role: entry.role,
            action: entry.action.to_owned(),
            target: entry.target,
            outcome: entry.outcome.to_owned(),
            request_id: Some(ctx.request_id.clone()),
            ip: peer.map(|a| a.ip().to_string()),
            details: entry.details,
        };
        let action = entry.action;
        let written = db::work(&self.pool, move |conn| {
            diesel::insert_into(audit_log::table)
                .values(&row)
                .execute(conn)?;
            Ok(())
        })
        .await;
        if written.is_err() {
            tracing::error!(action, "audit row could not be written");
        }
    }
}

/// A row of `audit_log`.
#[derive(Debug, Insertable)]
#[diesel(table_name = audit_log)]
struct NewAuditRow {
    at: DateTime<Utc>,
    principal: Option<String>,
    role: Option<String>,
    action: String,
    target: Option<String>,
    outcome: String,
    request_id: Option<String>,
    ip: Option<String>,
    details: serde_json::Value,
}
