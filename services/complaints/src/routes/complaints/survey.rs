//! `POST /api/v1/complaints/{id}/survey`, `GET /api/v1/complaints/{id}/surveys/{survey_id}`
//! and `POST /api/v1/complaints/{id}/survey-link`. A case takes one survey per resolution
//! (`workflow::surveys::survey_open`); reopened and resolved again, it is asked again, so a case
//! may collect several surveys over its life and each has its own address.

use actix_web::{web, HttpRequest, HttpResponse};
use chrono::Duration;
use kuaidi_shared::auth::Role;
use kuaidi_shared::capabilities::{caps, Authorized};
use kuaidi_shared::db;
use kuaidi_shared::deps::Deps;
use kuaidi_shared::http::respond_with_content_tag;
use kuaidi_shared::openapi::{NoValidToken, NotModified};
use kuaidi_shared::request::RequestContext;
use kuaidi_shared::ApiError;
use uuid::Uuid;

use crate::api::problems::{
    MayNotReadCases, NoSuchCase, NoSuchCaseAtAll, NoSuchSurvey, NoSurveyNow, ScoresOutOfRange,
    StaffOnly,
};
use crate::api::surveys::{Survey, SurveyAnswers, SurveyLink};
use crate::domain::survey::Answers;
use crate::workflow::surveys::{self, Respondent, DISSATISFIED, LINK_DAYS};

/// Records a satisfaction survey, taken by an agent on a callback, answered by the customer in
/// the app (a `customer` token, their own case) or passed on by the merchant (own cases).
/// One per resolution: a second one before the case is reopened and resolved again is a `409
/// already_surveyed`. `overall` ≤ 2 reopens the case.
#[utoipa::path(post, path = "/api/v1/complaints/{id}/survey", tag = "complaints",
    params(("id" = Uuid, Path, description = "Case id")), request_body = SurveyAnswers,
    responses((status = 201, description = "Recorded; `Location` names the survey", body = Survey),
        NoSuchCase, NoSurveyNow, ScoresOutOfRange))]
pub async fn submit_survey(
    caller: Authorized<caps::ComplaintsRead>,
    ctx: RequestContext,
    path: web::Path<Uuid>,
    body: web::Bytes,
    deps: Deps,
    rules: web::Data<crate::configuration::Rules>,
) -> Result<HttpResponse, ApiError> {
    // SPEC §3 "complaints read, survey": staff and analysts on callback, merchants and end
    // customers on their own cases (visibility below).
    let via = match caller.role {
        Role::Customer => "customer",
        Role::Merchant => "merchant",
        _ => "agent",
    };
    let answers = Answers::parse(crate::domain::fields::json_body(&body)?)?;
    let (id, who, now) = (
        path.into_inner(),
        caller.principal.clone(),
        deps.clock.now_micros(),
    );
    let rules = **rules;
    let survey = db::transaction(&deps.pool, move |conn| {
        let row = crate::db::complaints::visible_case(conn, &who, id, true)?;
        let by = Respondent {
            via,
            sub: Some(who.sub.clone()),
        };
        surveys::submit(conn, row, answers, by, &ctx, now, &rules)
    })
    .await?;
    deps.outbox.wake();
    Ok(created(survey))
}

/// `201` with the survey and its `Location`.
pub fn created(survey: crate::db::surveys::SurveyRow) -> HttpResponse {
    let location = format!(
        "/api/v1/complaints/{}/surveys/{}",
        survey.complaint_id, survey.id
    );
    HttpResponse::Created()
        .insert_header((actix_web::http::header::LOCATION, location))
        .json(view(survey))
}

/// One survey of a case, for whoever may read the case (merchants and end customers: their
/// own cases; another's is a 404).
#[utoipa::path(get, path = "/api/v1/complaints/{id}/surveys/{survey_id}", tag = "complaints",
    params(("id" = Uuid, Path, description = "Case id"),
        ("survey_id" = Uuid, Path, description = "Survey id")),
    responses((status = 200, description = "The survey; `ETag` names what is shown", body = Survey),
        NotModified, NoValidToken, MayNotReadCases, NoSuchSurvey))]
pub async fn get_case_survey(
    req: HttpRequest,
    caller: Authorized<caps::ComplaintsRead>,
    path: web::Path<(Uuid, Uuid)>,
    deps: Deps,
) -> Result<HttpResponse, ApiError> {
    let (id, survey_id) = path.into_inner();
    let row = super::read_of_case(&deps, &caller, id, move |conn| {
        crate::db::surveys::find(conn, id, survey_id)?.ok_or(ApiError::NotFound("survey"))
    })
    .await?;
    // A survey has no version: it changes only when an erasure scrubs its suggestion, so the
    // tag is a digest of what is shown.
    Ok(respond_with_content_tag(&req, &view(row)))
}

/// The API view of a recorded survey.
pub fn view(s: crate::db::surveys::SurveyRow) -> Survey {
    Survey {
        reopened: s.overall <= DISSATISFIED,
        id: s.id,
        complaint_id: s.complaint_id,
        overall: s.overall,
        speed: s.speed,
        effectiveness: s.effectiveness,
        attitude: s.attitude,
        suggestion: s.suggestion,
        via: s.via,
        submitted_at: s.submitted_at,
    }
}

/// Issues a new one-time survey link for a case that takes a survey now (e.g. the link of its
/// resolution was lost); valid 14 days. The case's earlier unused link is revoked (`410` from
/// then on). A case not resolved, or already surveyed since its resolution, is a `409`.
#[utoipa::path(post, path = "/api/v1/complaints/{id}/survey-link", tag = "complaints",
    params(("id" = Uuid, Path, description = "Case id")),
    responses((status = 201, description = "The link, shown once", body = SurveyLink),
        StaffOnly, NoSuchCaseAtAll, NoSurveyNow))]
pub async fn survey_link(
    caller: Authorized<caps::ComplaintsRead>,
    path: web::Path<Uuid>,
    deps: Deps,
) -> Result<HttpResponse, ApiError> {
    super::require_staff(&caller)?;
    let (id, who, now) = (
        path.into_inner(),
        caller.principal.clone(),
        deps.clock.now_micros(),
    );
    let link = db::transaction(&deps.pool, move |conn| {
        let case = crate::db::complaints::visible_case(conn, &who, id, true)?;
        surveys::issue_link(conn, &case, now)
    })
    .await?;
    Ok(HttpResponse::Created().json(SurveyLink {
        survey_link: link,
        expires_at: now + Duration::days(LINK_DAYS),
    }))
}
