//! `POST /api/v1/users/{id}:unlock`: lifts a sign-in lock (SPEC §3: admins can unlock).

use actix_web::{web, HttpResponse};
use kuaidi_shared::db;
use kuaidi_shared::openapi::{Forbidden, NotFound};
use kuaidi_shared::ApiError;
use uuid::Uuid;

use crate::db::lockout;

/// Clears a user's failed sign-ins and lock; audited.
#[utoipa::path(post, path = "/api/v1/users/{id}:unlock", tag = "admin", params(("id" = Uuid, Path)),
    responses((status = 204, description = "Unlocked (also when there was no lock)"),
        NotFound, Forbidden))]
pub async fn unlock_user(
    admin: super::AdminCall,
    path: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    if !db::run(admin.pool(), move |conn| Ok(lockout::unlock(conn, id)?)).await? {
        return Err(ApiError::NotFound("user"));
    }
    admin.audit(admin.entry("user.unlock", id)).await;
    Ok(HttpResponse::NoContent().finish())
}
