//! `POST /api/v1/users/{id}:unlock`: lifts a sign-in lock (SPEC §3: admins can unlock).

use actix_web::{web, HttpRequest, HttpResponse};
use kuaidi_shared::capabilities::{caps, Authorized};
use kuaidi_shared::db::{self, PgPool};
use kuaidi_shared::openapi::{Forbidden, NotFound};
use kuaidi_shared::request::RequestContext;
use kuaidi_shared::ApiError;
use uuid::Uuid;

use crate::audit::{Audit, Auditor};
use crate::db::lockout;

/// Clears a user's failed sign-ins and lock; audited.
#[utoipa::path(post, path = "/api/v1/users/{id}:unlock", tag = "admin", params(("id" = Uuid, Path)),
    responses(
        (status = 204, description = "Unlocked (also when there was no lock)"),
        NotFound,
        Forbidden,
    ),
    security(("bearer" = [])))]
pub async fn unlock_user(
    req: HttpRequest,
    ctx: RequestContext,
    admin: Authorized<caps::Administration>,
    path: web::Path<Uuid>,
    pool: web::Data<PgPool>,
    auditor: web::Data<Auditor>,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    if !db::run(&pool, move |conn| Ok(lockout::unlock(conn, id)?)).await? {
        return Err(ApiError::NotFound("user"));
    }
    let entry = Audit::by(&admin, "user.unlock", Some(id.to_string()));
    auditor.record(&req, &ctx, entry).await;
    Ok(HttpResponse::NoContent().finish())
}
