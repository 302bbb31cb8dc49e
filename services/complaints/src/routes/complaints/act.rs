//! `POST /api/v1/complaints/{id}/actions/{action}`.

use actix_web::{web, HttpRequest, HttpResponse};
use kuaidi_shared::capabilities::{caps, Authorized};
use kuaidi_shared::db;
use kuaidi_shared::deps::Deps;
use kuaidi_shared::openapi::InvalidFields;
use kuaidi_shared::request::RequestContext;
use kuaidi_shared::ApiError;
use uuid::Uuid;

use crate::api::complaints::{ActionBody, Complaint};
use crate::api::problems::{
    CaseChangedSinceIfMatch, IllegalInCaseStatus, NoSuchCaseOrAction, RoleMayNot,
};
use crate::configuration::Rules;
use crate::domain::fields::json_body;
use crate::domain::lifecycle::Action;
use crate::workflow::actions::{apply, Request};

/// Moves a case through its lifecycle (SPEC §6 table); each action has its own body. The first
/// outward action (a triage `reply`, a public comment, `resolve`) stamps `first_responded_at`;
/// `resolve` answers with a one-time `survey_link`. `approve`, `reject` and `escalate` are for
/// supervisors and above. An action not allowed in the case's status is a 409 whatever its body
/// (the body is checked only for a legal action). `If-Match` (the case's ETag or version)
/// guards against lost updates.
#[utoipa::path(post, path = "/api/v1/complaints/{id}/actions/{action}", tag = "complaints",
    params(("id" = Uuid, Path, description = "Case id"), ("action" = String, Path, description = "triage | assign | investigate | propose | approve | reject | resolve | close | reopen | escalate | comment"), ("If-Match" = Option<String>, Header, description = "ETag or version the change is based on"),),
    request_body = ActionBody,
    responses((status = 200, description = "The updated case", body = Complaint),
        RoleMayNot, NoSuchCaseOrAction, IllegalInCaseStatus, CaseChangedSinceIfMatch, InvalidFields))]
pub async fn act(
    req: HttpRequest,
    caller: Authorized<caps::ComplaintsRead>,
    ctx: RequestContext,
    path: web::Path<(Uuid, String)>,
    body: web::Bytes,
    deps: Deps,
    rules: web::Data<Rules>,
) -> Result<HttpResponse, ApiError> {
    let (id, action) = path.into_inner();
    let action = super::staff_action(&caller, &action, |a: &Action| a.needs_supervisor())?;
    // The body is checked for the action inside the transaction, once the action is known to
    // be legal in the case's status: an illegal transition is a 409 whatever the body says.
    let request = Request {
        id,
        action,
        body: json_body(&body)?,
        if_match: if_match(&req)?,
        by_service: false,
    };
    let (who, now, rules) = (caller.principal.clone(), deps.clock.now_micros(), **rules);
    let done = db::transaction(&deps.pool, move |conn| {
        apply(conn, &request, &who, &ctx, now, &rules)
    })
    .await?;
    deps.outbox.wake();
    let etag = format!("\"{}-{}\"", done.row.id.simple(), done.row.version);
    let mut view = super::view(done.row, None);
    view.survey_link = done.survey_link;
    Ok(HttpResponse::Ok().insert_header(("etag", etag)).json(view))
}

/// The version named by `If-Match`: an ETag of this service (`"<id>-<version>"`) or a bare
/// version number; anything else cannot match and is a 412.
pub fn if_match(req: &HttpRequest) -> Result<Option<i32>, ApiError> {
    let Some(value) = req.headers().get("if-match") else {
        return Ok(None);
    };
    let text = value
        .to_str()
        .unwrap_or_default()
        .trim()
        .trim_start_matches("W/")
        .trim_matches('"');
    if text == "*" {
        return Ok(None);
    }
    let version = text.rsplit('-').next().unwrap_or_default();
    version
        .parse()
        .map(Some)
        .map_err(|_| ApiError::PreconditionFailed)
}
