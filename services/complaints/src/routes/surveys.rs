//! The public survey link: `GET` and `POST /api/v1/surveys/{token}` (no token needed: the link
//! is the credential; single use, 14 days).

use actix_web::{web, HttpResponse};
use chrono::{DateTime, Utc};
use diesel::PgConnection;
use kuaidi_shared::db;
use kuaidi_shared::deps::Deps;
use kuaidi_shared::request::RequestContext;
use kuaidi_shared::ApiError;

use crate::api::problems::{LinkGone, ScoresOutOfRange, UnknownLink};
use crate::api::surveys::{Question, Survey, SurveyAnswers, SurveyForm};
use crate::db::surveys::{self as repo, TokenRow};
use crate::domain::survey::Answers;
use crate::workflow::surveys::{self, token_hash, Respondent};

/// The link's token row if it may still be used: unknown → 404, used or expired → 410.
fn usable(
    conn: &mut PgConnection,
    token: &str,
    now: DateTime<Utc>,
    lock: bool,
) -> Result<TokenRow, ApiError> {
    let row = repo::token(conn, &token_hash(token), lock)?.ok_or(ApiError::NotFound("survey"))?;
    if row.used_at.is_some() {
        return Err(ApiError::Gone("this survey link was already used".into()));
    }
    if row.expires_at <= now {
        return Err(ApiError::Gone("this survey link has expired".into()));
    }
    Ok(row)
}

/// The survey behind a link: the case number and the questions.
// Public: no credentials needed.
#[utoipa::path(get, path = "/api/v1/surveys/{token}", tag = "complaints",
    params(("token" = String, Path, description = "The token of the survey link")),
    responses((status = 200, description = "The questions", body = SurveyForm),
        UnknownLink, LinkGone),
    security(()))]
pub async fn get_survey(path: web::Path<String>, deps: Deps) -> Result<HttpResponse, ApiError> {
    let (token, now) = (path.into_inner(), deps.clock.now_micros());
    let (row, number) = db::run(&deps.pool, move |conn| {
        let row = usable(conn, &token, now, false)?;
        let case = crate::db::complaints::find(conn, row.complaint_id)?
            .ok_or(ApiError::NotFound("survey"))?;
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
        UnknownLink, LinkGone, ScoresOutOfRange),
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
        let link = usable(conn, &token, now, true)?;
        let case = crate::db::complaints::find_for_update(conn, link.complaint_id)?
            .ok_or(ApiError::NotFound("survey"))?;
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
