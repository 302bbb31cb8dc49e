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
/// `$cursor`, `$limit + 1` of them (the extra row only says there is another page); with
/// `column = value` filters (`value` an `Option`: `None` keeps every row), only the rows
/// whose `column` equals each `Some` value — the cursor pages through those.
macro_rules! newest_first {
    ($table:ident, $select:expr, $cursor:expr, $limit:expr $(, $column:path = $value:ident)*) => {{
        let mut q = $table::table.select($select).into_boxed();
        $(
            if let Some(v) = $value {
                q = q.filter($column.eq(v));
            }
        )*
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

/// The body of an admin list handler: a page of `$table`'s `$row`s newest first (those the
/// `column = value` filters keep, see [`newest_first`]), each shown as `$view`.
macro_rules! newest_page {
    ($pool:expr, $page:expr, $table:ident, $row:ty, $view:path $(, $column:path = $value:ident)*) => {{
        let (limit, cursor) = $page.parse()?;
        let rows: Vec<$row> = kuaidi_shared::db::run(&$pool, move |conn| {
            let q = $crate::routes::admin::newest_first!(
                $table, <$row>::as_select(), cursor, limit $(, $column = $value)*
            );
            Ok(q.load(conn)?)
        })
        .await?;
        let key = |r: &$row| $crate::routes::admin::Cursor {
            at: r.created_at,
            id: r.id,
        };
        Ok(
            actix_web::HttpResponse::Ok().json($crate::routes::admin::Page::from_rows(
                rows, limit, key, $view,
            )),
        )
    }};
}
pub(crate) use newest_page;

use actix_web::dev::Payload;
use actix_web::{web, FromRequest, HttpRequest, HttpResponse};
use chrono::{DateTime, Utc};
use diesel::PgConnection;
use futures_util::future::LocalBoxFuture;
use kuaidi_shared::auth::Principal;
use kuaidi_shared::capabilities::{caps, Authorized};
use kuaidi_shared::db;
use kuaidi_shared::events::{CloudEvent, EventPayload, Outbox};
use kuaidi_shared::request::RequestContext;
use kuaidi_shared::ApiError;

use crate::audit::{Audit, Auditor};
use crate::edge::Edge;

/// A `role` filter of an admin list: `422` naming `role` unless `check` accepts it.
pub fn role_filter(
    role: Option<String>,
    check: fn(&mut Vec<kuaidi_shared::FieldError>, &str),
) -> Result<Option<String>, ApiError> {
    let mut errors = Vec::new();
    if let Some(r) = &role {
        check(&mut errors, r);
    }
    crate::domain::accounts::valid(errors).map_err(ApiError::Validation)?;
    Ok(role)
}

/// An admin's change, with what auditing it needs — the request, its context, the auditor —
/// extracted together: a handler takes this for the admin and records with
/// `admin.audit(admin.entry(action, id))`. Derefs to the admin's `Principal`.
pub struct AdminCall {
    principal: Principal,
    req: HttpRequest,
    ctx: RequestContext,
    auditor: web::Data<Auditor>,
}

impl FromRequest for AdminCall {
    type Error = actix_web::Error;
    type Future = LocalBoxFuture<'static, Result<Self, actix_web::Error>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let (req, admin) = (
            req.clone(),
            Authorized::<caps::Administration>::from_request(req, payload),
        );
        Box::pin(async move {
            let admin = admin.await?;
            let auditor = req.app_data().cloned().ok_or_else(|| {
                ApiError::Internal(anyhow::anyhow!("the auditor is not configured"))
            })?;
            Ok(Self {
                principal: Principal::clone(&admin),
                ctx: RequestContext::extract(&req).await?,
                auditor,
                req,
            })
        })
    }
}

impl std::ops::Deref for AdminCall {
    type Target = Principal;

    fn deref(&self) -> &Principal {
        &self.principal
    }
}

impl AdminCall {
    /// The request (its headers: `If-Match`).
    pub fn req(&self) -> &HttpRequest {
        &self.req
    }

    /// The gateway's database.
    pub fn pool(&self) -> &kuaidi_shared::db::PgPool {
        self.auditor.pool()
    }

    pub fn now(&self) -> DateTime<Utc> {
        self.auditor.now()
    }

    /// The audit entry of `action` on `id` by this admin.
    pub fn entry(&self, action: &'static str, id: uuid::Uuid) -> Audit {
        Audit::by(&self.principal, action, Some(id.to_string()))
    }

    /// Writes `entry` to the audit log.
    pub async fn audit(&self, entry: Audit) {
        self.auditor.record(&self.req, &self.ctx, entry).await;
    }

    /// Stores a new `row` with `insert` (off the executor) and gives it back.
    pub async fn insert<R: Send + 'static>(
        &self,
        row: R,
        insert: fn(&mut PgConnection, &R) -> diesel::QueryResult<()>,
    ) -> Result<R, ApiError> {
        db::run(self.pool(), move |conn| {
            insert(conn, &row)?;
            Ok(row)
        })
        .await
    }
}

/// A revocable credential (client or API key) by id, shown as `view`, with an `ETag` of its id
/// and revocation time (all that changes of it); `what` names it in the `404`.
pub async fn credential<R: Send + 'static, V: serde::Serialize>(
    req: &HttpRequest,
    pool: &kuaidi_shared::db::PgPool,
    (what, id): (&'static str, uuid::Uuid),
    find: fn(&mut PgConnection, uuid::Uuid) -> diesel::QueryResult<Option<R>>,
    revoked_at: fn(&R) -> Option<DateTime<Utc>>,
    view: fn(R) -> V,
) -> Result<HttpResponse, ApiError> {
    let row = db::run(pool, move |conn| {
        find(conn, id)?.ok_or(ApiError::NotFound(what))
    })
    .await?;
    let revoked = revoked_at(&row).map_or(0, |t| t.timestamp_micros());
    let tag = format!("{}-{revoked}", id.simple());
    Ok(kuaidi_shared::http::respond_with_etag(
        req,
        &tag,
        &view(row),
    ))
}

/// The `201` of a credential created at `location`: `body` shows its secret this once, so no
/// cache may keep it (only an `Idempotency-Key` replay shows it again, to the same caller:
/// `crate::idempotency::own_creates`).
pub fn issued(location: String, body: impl serde::Serialize) -> HttpResponse {
    HttpResponse::Created()
        .insert_header((actix_web::http::header::LOCATION, location))
        .insert_header(("cache-control", "no-store"))
        .json(body)
}

/// What a revocation found: a live credential, revoked now (its event's payload), one revoked
/// before, or none.
pub enum Revoked<P> {
    Now(P),
    Before,
    Unknown,
}

impl<P> Revoked<P> {
    /// `Now(payload)` when the live credential was revoked, else whether it `exists` at all.
    pub fn now_or(payload: Option<P>, exists: bool) -> Self {
        match (payload, exists) {
            (Some(p), _) => Self::Now(p),
            (None, true) => Self::Before,
            (None, false) => Self::Unknown,
        }
    }
}

/// What revoking a credential needs — who asks (an admin), for the audit log, and where —
/// extracted from the request, so a revocation handler takes just this and the id.
pub struct Revocation {
    admin: AdminCall,
    edge: web::Data<Edge>,
    outbox: web::Data<Outbox>,
}

impl FromRequest for Revocation {
    type Error = actix_web::Error;
    type Future = LocalBoxFuture<'static, Result<Self, actix_web::Error>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let (req, admin) = (req.clone(), AdminCall::from_request(req, payload));
        Box::pin(async move {
            let data = |what| ApiError::Internal(anyhow::anyhow!("{what} is not configured"));
            Ok(Self {
                admin: admin.await?,
                edge: req.app_data().cloned().ok_or_else(|| data("the edge"))?,
                outbox: req.app_data().cloned().ok_or_else(|| data("the outbox"))?,
            })
        })
    }
}

impl Revocation {
    /// Runs `revoke` and, when it revoked the credential now, writes its event to the outbox
    /// in the same transaction — the services refuse the credential's tokens once it reaches
    /// them —, forgets cached credentials on this replica and audits `action` on `id`. Answers
    /// `204`, also for a credential revoked before (no second event, its time kept); `404`
    /// for none.
    pub async fn run<P, F>(
        self,
        action: &'static str,
        what: &'static str,
        id: uuid::Uuid,
        revoke: F,
    ) -> Result<HttpResponse, ApiError>
    where
        P: EventPayload,
        F: FnOnce(&mut PgConnection, DateTime<Utc>) -> diesel::QueryResult<Revoked<P>>
            + Send
            + 'static,
    {
        let (now, ctx) = (self.admin.now(), self.admin.ctx.clone());
        let revoked_now =
            db::transaction(self.admin.pool(), move |conn| match revoke(conn, now)? {
                Revoked::Unknown => Err(ApiError::NotFound(what)),
                Revoked::Before => Ok(false),
                Revoked::Now(payload) => {
                    let event = CloudEvent::about("gateway", id, &payload, &ctx, now);
                    Outbox::enqueue(conn, &event)?;
                    Ok(true)
                }
            })
            .await?;
        if !revoked_now {
            return Ok(HttpResponse::NoContent().finish());
        }
        self.outbox.wake();
        self.edge.forget();
        self.admin.audit(self.admin.entry(action, id)).await;
        Ok(HttpResponse::NoContent().finish())
    }
}
