//! Administration (role `admin` only): users, system clients, API keys, the audit log. Every
//! change is audited.

pub mod api_keys;
pub mod audit_log;
pub mod clients;
pub mod unlock;
pub mod users;

/// Pages over `(created_at, id)` like every list of the API.
pub use kuaidi_shared::pagination::{Cursor, Page, PageParams};

/// The query of an admin list: `$table`'s rows newest first by `(created_at, id)`, after
/// `$cursor`, `$limit + 1` of them (the extra row only says there is another page).
macro_rules! newest_first {
    ($table:ident, $select:expr, $cursor:expr, $limit:expr) => {{
        let mut q = $table::table.select($select).into_boxed();
        if let Some(c) = $cursor {
            q = q.filter(
                $table::created_at
                    .lt(c.at)
                    .or($table::created_at.eq(c.at).and($table::id.lt(c.id))),
            );
        }
        q.order(($table::created_at.desc(), $table::id.desc()))
            .limit($limit + 1)
    }};
}
pub(crate) use newest_first;

use actix_web::{HttpRequest, HttpResponse};
use chrono::{DateTime, Utc};
use diesel::PgConnection;
use kuaidi_shared::auth::Principal;
use kuaidi_shared::db;
use kuaidi_shared::request::RequestContext;
use kuaidi_shared::ApiError;

use crate::audit::{Audit, Auditor};
use crate::edge::Edge;

/// What revoking a credential needs: who asks, for the audit log, and where.
pub struct Revocation<'a> {
    pub req: &'a HttpRequest,
    pub ctx: &'a RequestContext,
    pub admin: &'a Principal,
    pub auditor: &'a Auditor,
    pub edge: &'a Edge,
}

impl Revocation<'_> {
    /// Runs `revoke` (rows updated; 0 = not found), forgets cached credentials on this replica,
    /// audits `action` on `id`, answers `204`.
    pub async fn run<F>(
        self,
        action: &'static str,
        what: &'static str,
        id: uuid::Uuid,
        revoke: F,
    ) -> Result<HttpResponse, ApiError>
    where
        F: FnOnce(&mut PgConnection, DateTime<Utc>) -> diesel::QueryResult<usize> + Send + 'static,
    {
        let now = self.auditor.now();
        db::run(self.auditor.pool(), move |conn| match revoke(conn, now)? {
            0 => Err(ApiError::NotFound(what)),
            _ => Ok(()),
        })
        .await?;
        self.edge.forget();
        self.auditor
            .record(
                self.req,
                self.ctx,
                Audit::by(self.admin, action, Some(id.to_string())),
            )
            .await;
        Ok(HttpResponse::NoContent().finish())
    }
}
