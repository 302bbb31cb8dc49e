//! `GET /api/v1/follow-ups/{id}`.

use actix_web::{web, HttpRequest, HttpResponse};
use kuaidi_shared::capabilities::{caps, Authorized};
use kuaidi_shared::db;
use kuaidi_shared::deps::Deps;
use kuaidi_shared::http::respond_with_etag;
use kuaidi_shared::openapi::{NoValidToken, NotModified};
use kuaidi_shared::ApiError;
use uuid::Uuid;

use super::STAFF;
use crate::api::follow_ups::FollowUp;
use crate::api::problems::{NoSuchTask, StaffOnly};
use crate::db::customers;
use crate::db::follow_ups as repo;
use crate::workflow::access;

/// One task, with its `ETag` (for `If-Match` on `PATCH`; `If-None-Match` → `304`). For the
/// roles that work task lists, who see every task there (an erased customer's too,
/// anonymised), as in `GET /follow-ups` — a birthday-care task only to whoever sees the
/// customer's PII unmasked.
#[utoipa::path(get, path = "/api/v1/follow-ups/{id}", tag = "customers",
    params(("id" = Uuid, Path, description = "Follow-up id")),
    responses((status = 200, description = "The task; `ETag` for `If-Match`", body = FollowUp),
        NotModified, NoValidToken, StaffOnly, NoSuchTask))]
pub async fn get_follow_up(
    req: HttpRequest,
    caller: Authorized<caps::CustomersRead>,
    path: web::Path<Uuid>,
    deps: Deps,
) -> Result<HttpResponse, ApiError> {
    caller.require(&STAFF)?;
    let (id, who) = (path.into_inner(), caller.principal.clone());
    let task: FollowUp = db::run(&deps.pool, move |conn| {
        let task = repo::get(conn, id)?.ok_or(ApiError::NotFound("follow-up"))?;
        let customer = customers::find_any(conn, task.customer_id)?;
        if !customer.is_some_and(|c| access::shows_task(&who, task.rule.as_deref(), &c)) {
            return Err(ApiError::NotFound("follow-up"));
        }
        Ok(super::view(task))
    })
    .await?;
    Ok(respond_with_etag(&req, &super::etag(&task), &task))
}
