//! `PATCH /api/v1/follow-ups/{id}`.

use actix_web::{web, HttpRequest, HttpResponse};
use kuaidi_shared::capabilities::{caps, Authorized};
use kuaidi_shared::db;
use kuaidi_shared::extract::Json;
use kuaidi_shared::openapi::InvalidFields;
use kuaidi_shared::{ApiError, FieldError};
use uuid::Uuid;

use crate::api::follow_ups::{FollowUp, UpdateFollowUp};
use crate::api::problems::{IllegalTaskMove, NoSuchTask, StaleIfMatch};
use crate::db::customers as customers_repo;
use crate::db::follow_ups as repo;
use crate::domain::enums::{parse_into, FollowUpStatus};
use crate::routes::customers::{check_if_match, if_match};
use crate::workflow::access;
use kuaidi_shared::deps::Deps;

/// Closes a task: `open` → `done` | `cancelled`, with an outcome. Any other move is a `409`.
/// `If-Match` with the `ETag` of another version than the current one is a `412`.
#[utoipa::path(patch, path = "/api/v1/follow-ups/{id}", tag = "customers",
    params(("id" = Uuid, Path, description = "Follow-up id"),
        ("If-Match" = Option<String>, Header, description = "ETag of the version closed")),
    request_body = UpdateFollowUp,
    responses((status = 200, description = "The closed task, with its new `ETag`", body = FollowUp),
        NoSuchTask, IllegalTaskMove, StaleIfMatch, InvalidFields))]
pub async fn update_follow_up(
    req: HttpRequest,
    caller: Authorized<caps::CustomersWrite>,
    path: web::Path<Uuid>,
    body: Json<UpdateFollowUp>,
    deps: Deps,
) -> Result<HttpResponse, ApiError> {
    access::staff_only(&caller)?;
    let (id, now, body) = (path.into_inner(), deps.clock.now(), body.into_inner());
    let mut errors = Vec::new();
    let to = parse_into::<FollowUpStatus>(&mut errors, "status", &body.status);
    let outcome = body
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
    let (who, tag) = (caller.principal.clone(), if_match(&req));
    let row = db::transaction(&deps.pool, move |conn| {
        let task = repo::find(conn, id)?.ok_or(ApiError::NotFound("follow-up"))?;
        let customer =
            customers_repo::find(conn, task.customer_id)?.ok_or(ApiError::NotFound("follow-up"))?;
        if !access::shows_task(&who, task.rule.as_deref(), &customer) {
            return Err(ApiError::NotFound("follow-up"));
        }
        if task.assignee_id.is_none() || task.assignee_id != who.user_id() {
            access::may_write(&who, &customer)?;
        }
        check_if_match(tag.as_deref(), task.version)?;
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
    let task = super::view(row);
    Ok(HttpResponse::Ok()
        .insert_header(super::etag_header(&task))
        .json(task))
}
