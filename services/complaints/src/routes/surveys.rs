//! The public survey link: `GET` and `POST /api/v1/surveys/{token}` (no token needed: the link
//! is the credential; single use, 14 days, revoked when a newer link of the case is issued). A
//! usable link still asks only while its case takes a survey (`workflow::surveys::survey_open`:
//! resolved, and not yet surveyed since — by an agent on a callback, say).

use actix_web::{web, HttpResponse};
use chrono::{DateTime, Utc};
use diesel::PgConnection;
use kuaidi_shared::db;
use kuaidi_shared::deps::Deps;
use kuaidi_shared::request::RequestContext;
use kuaidi_shared::ApiError;

use crate::api::problems::{LinkGone, NoSurveyNow, ScoresOutOfRange, UnknownLink};
use crate::api::surveys::{Question, Survey, SurveyAnswers, SurveyForm};
use crate::db::complaints::ComplaintRow;
use crate::db::surveys::{self as repo, TokenRow};
use crate::domain::survey::Answers;
use crate::workflow::surveys::{self, token_hash, Respondent};

/// The link's token row if it may still be used, and its case (both locked when `lock`):
/// unknown → 404, used, revoked or expired → 410.
fn usable(
    conn: &mut PgConnection,
    token: &str,
    now: DateTime<Utc>,
    lock: bool,
) -> Result<(TokenRow, ComplaintRow), ApiError> {
    let hash = token_hash(token);
    let mut row = repo::token(conn, &hash, false)?.ok_or(ApiError::NotFound("survey"))?;
    let case = if lock {
        // The case before its link, the order in which a new link revokes the others; read
        // again under the lock, the link is as the last writer left it.
        let case = crate::db::complaints::find_for_update(conn, row.complaint_id)?;
        row = repo::token(conn, &hash, true)?.ok_or(ApiError::NotFound("survey"))?;
        case
    } else {
        crate::db::complaints::find(conn, row.complaint_id)?
    };
    let case = case.ok_or(ApiError::NotFound("survey"))?;
    if row.used_at.is_some() {
        return Err(ApiError::Gone("this survey link was already used".into()));
    }
    if row.revoked_at.is_some() {
        return Err(ApiError::Gone(
            "this survey link was replaced by a newer one".into(),
        ));
    }
    if row.expires_at <= now {
        return Err(ApiError::Gone("this survey link has expired".into()));
    }
    Ok((row, case))
}

/// The survey behind a link: the case number and the questions.
// Public: no credentials needed.
#[utoipa::path(get, path = "/api/v1/surveys/{token}", tag = "complaints",
    params(("token" = String, Path, description = "The token of the survey link")),
    responses((status = 200, description = "The questions", body = SurveyForm),
        UnknownLink, LinkGone, NoSurveyNow),
    security(()))]
pub async fn get_survey(path: web::Path<String>, deps: Deps) -> Result<HttpResponse, ApiError> {
    let (token, now) = (path.into_inner(), deps.clock.now_micros());
    let (row, number) = db::run(&deps.pool, move |conn| {
        let (row, case) = usable(conn, &token, now, false)?;
        surveys::survey_open(conn, &case)?;
        Ok((row, case.number))
    })
    .await?;
    let questions = Answers::QUESTIONS
        .iter()
        .map(|(field, text)| Question {
            field: (*field).into(),
            text: (*text).into(),
        })
        .collect();
    Ok(HttpResponse::Ok().json(SurveyForm {
        number,
        questions,
        expires_at: row.expires_at,
    }))
}

/// Answers the survey behind a link, once.
// Public: no credentials needed.
#[utoipa::path(post, path = "/api/v1/surveys/{token}", tag = "complaints",
    params(("token" = String, Path, description = "The token of the survey link")),
    request_body = SurveyAnswers,
    responses((status = 201, description = "Recorded; `Location` names the survey (read with the case's access rules)", body = Survey),
        UnknownLink, LinkGone, NoSurveyNow, ScoresOutOfRange),
    security(()))]
pub async fn answer_survey(
    ctx: RequestContext,
    path: web::Path<String>,
    body: web::Bytes,
    deps: Deps,
    rules: web::Data<crate::configuration::Rules>,
) -> Result<HttpResponse, ApiError> {
    let answers = Answers::parse(crate::domain::fields::json_body(&body)?)?;
    let (token, now, rules) = (path.into_inner(), deps.clock.now_micros(), **rules);
    let done = db::transaction(&deps.pool, move |conn| {
        let (link, case) = usable(conn, &token, now, true)?;
        repo::use_token(conn, &link.token_hash, now)?;
        surveys::submit(
            conn,
            case,
            answers,
            Respondent {
                via: "link",
                sub: None,
            },
            &ctx,
            now,
            &rules,
        )
    })
    .await;
    deps.outbox.wake();
    done.map(super::complaints::survey::created)
}
