//! `PATCH /api/v1/follow-ups/{id}`.

use actix_web::{web, HttpResponse};
use kuaidi_shared::capabilities::{caps, Authorized};
use kuaidi_shared::db;
use kuaidi_shared::openapi::InvalidFields;
use kuaidi_shared::{ApiError, FieldError};
use uuid::Uuid;

use crate::api::follow_ups::{FollowUp, UpdateFollowUp};
use crate::api::problems::{IllegalTaskMove, NoSuchTask};
use crate::db::customers as customers_repo;
use crate::db::follow_ups as repo;
use crate::domain::enums::{parse_into, FollowUpStatus};
use crate::workflow::access;
use kuaidi_shared::deps::Deps;

/// Closes a task: `open` → `done` | `cancelled`, with an outcome. Any other move is a `409`.
#[utoipa::path(patch, path = "/api/v1/follow-ups/{id}", tag = "customers",
    params(("id" = Uuid, Path, description = "Follow-up id")), request_body = UpdateFollowUp,
    responses((status = 200, description = "The closed task", body = FollowUp),
        NoSuchTask, IllegalTaskMove, InvalidFields))]
pub async fn update_follow_up(
    caller: Authorized<caps::CustomersWrite>,
    path: web::Path<Uuid>,
    body: web::Json<UpdateFollowUp>,
    deps: Deps,
) -> Result<HttpResponse, ApiError> {
    access::staff_only(&caller)?;
    let (id, now, req) = (path.into_inner(), deps.clock.now(), body.into_inner());
    let mut errors = Vec::new();
    let to = parse_into::<FollowUpStatus>(&mut errors, "status", &req.status);
    let outcome = req
        .outcome
        .map(|o| o.trim().to_owned())
        .filter(|o| !o.is_empty());
    if outcome.as_ref().is_some_and(|o| o.chars().count() > 2000) {
        errors.push(FieldError::new(
            "outcome",
            "must be at most 2000 characters",
        ));
    }
    let Some(to) = to.filter(|_| errors.is_empty()) else {
        return Err(ApiError::Validation(errors));
    };
    let who = caller.principal.clone();
    let row = db::transaction(&deps.pool, move |conn| {
        let task = repo::find(conn, id)?.ok_or(ApiError::NotFound("follow-up"))?;
        let customer =
            customers_repo::find(conn, task.customer_id)?.ok_or(ApiError::NotFound("follow-up"))?;
        if task.assignee_id.is_none() || task.assignee_id != who.user_id() {
            access::may_write(&who, &customer)?;
        }
        if task.status != FollowUpStatus::Open.as_ref() || to == FollowUpStatus::Open {
            return Err(ApiError::conflict(
                "illegal_transition",
                format!(
                    "a follow-up moves only from open to done or cancelled, not {} → {to}",
                    task.status
                ),
            ));
        }
        Ok(repo::close(conn, id, to.as_ref(), outcome, now)?)
    })
    .await?;
    Ok(HttpResponse::Ok().json(super::view(row)))
}
