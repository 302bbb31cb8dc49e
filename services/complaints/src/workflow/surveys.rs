//! Satisfaction surveys (seed 002 §4.2): answered by an agent on callback, by the customer in
//! the app, or through a one-time link; `overall` ≤ 2 reopens the case. One survey per
//! resolution (as a help desk takes one rating per solve): [`survey_open`] is the one rule
//! that answering a survey, reading a link's questions and issuing a link all apply.

use base64::Engine;
use chrono::{DateTime, Duration, Utc};
use diesel::PgConnection;
use kuaidi_shared::clock::new_id;
use kuaidi_shared::request::RequestContext;
use kuaidi_shared::ApiError;
use rand::RngCore;
use sha2::{Digest, Sha256};

use crate::db::complaints::{self as repo, ComplaintRow};
use crate::db::history::{self, NewHistory, SYSTEM};
use crate::db::surveys::{self, SurveyRow};
use crate::domain::lifecycle::Status;
use crate::domain::survey::Answers;
use crate::events::emit::{case_event, Emitter, Facts};

/// How long a survey link may be used (*default* 14 days).
pub const LINK_DAYS: i64 = 14;
/// Answers at or below this `overall` reopen the case.
pub const DISSATISFIED: i16 = 2;

/// The SHA-256 (hex) of a link token: all that is stored of it.
pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// Whether the case (as stored, locked by the caller) takes a survey now: `409
/// survey_not_open` before it is resolved (or after a reopening, until resolved again), `409
/// already_surveyed` once a survey was answered since its latest resolution.
pub fn survey_open(conn: &mut PgConnection, row: &ComplaintRow) -> Result<Status, ApiError> {
    let status = super::actions::status_of(row)?;
    if !status.takes_survey() {
        return Err(ApiError::conflict(
            "survey_not_open",
            format!(
                "a case in status {status} has no survey yet (it opens when the case is resolved)"
            ),
        ));
    }
    if let Some(answered) = surveys::answered_since_resolution(conn, row.id)? {
        let mut extensions = serde_json::Map::new();
        if let Some(id) = answered.get("survey_id") {
            extensions.insert("survey_id".into(), id.clone());
        }
        return Err(ApiError::ConflictWith {
            code: "already_surveyed",
            detail: "the case's survey was already answered for this resolution; it is asked \
                     again once the case is reopened and resolved"
                .into(),
            extensions,
        });
    }
    Ok(status)
}

/// Issues a one-time link for the survey of a case that takes one ([`survey_open`]),
/// revoking its earlier unused links; returns its path.
pub fn issue_link(
    conn: &mut PgConnection,
    row: &ComplaintRow,
    now: DateTime<Utc>,
) -> Result<String, ApiError> {
    survey_open(conn, row)?;
    surveys::revoke_unused(conn, row.id, now)?;
    let mut bytes = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut bytes);
    let token = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes);
    surveys::insert_token(
        conn,
        &token_hash(&token),
        row.id,
        now,
        now + Duration::days(LINK_DAYS),
    )?;
    Ok(format!("/api/v1/surveys/{token}"))
}

/// Who answered.
pub struct Respondent<'a> {
    /// `agent` | `customer` | `link`.
    pub via: &'a str,
    pub sub: Option<String>,
}

/// Records the answers on a locked case that takes a survey ([`survey_open`]); a dissatisfied
/// answer reopens it.
pub fn submit(
    conn: &mut PgConnection,
    mut row: ComplaintRow,
    answers: Answers,
    by: Respondent<'_>,
    ctx: &RequestContext,
    now: DateTime<Utc>,
    rules: &crate::configuration::Rules,
) -> Result<SurveyRow, ApiError> {
    let status = survey_open(conn, &row)?;
    let survey = SurveyRow {
        id: new_id(),
        complaint_id: row.id,
        overall: answers.overall,
        speed: answers.speed,
        effectiveness: answers.effectiveness,
        attitude: answers.attitude,
        suggestion: answers.suggestion,
        via: by.via.to_owned(),
        submitted_by: by.sub,
        submitted_at: now,
    };
    surveys::insert(conn, &survey)?;
    row.satisfaction = Some(i32::from(survey.overall));
    let mut em = Emitter::new(ctx, now);
    let facts = Facts::load(conn, &row)?;
    let mut entries = vec![NewHistory::system(
        &row,
        "survey",
        serde_json::json!({
            "survey_id": survey.id, "overall": survey.overall, "via": survey.via,
        }),
        now,
    )];
    em.push(
        row.id,
        &case_event!(SurveySubmittedV1, &facts, {
            survey_id: survey.id, overall: survey.overall, speed: survey.speed,
            effectiveness: survey.effectiveness, attitude: survey.attitude,
            via: survey.via.clone(), submitted_at: now,
        }),
    );
    if survey.overall <= DISSATISFIED {
        let reason = format!("dissatisfied survey (overall {})", survey.overall);
        entries.push(NewHistory {
            actor: SYSTEM.into(),
            action: "reopen".into(),
            to_status: Status::Reopened.to_string(),
            payload: serde_json::json!({"reason": reason, "survey_id": survey.id}),
            ..NewHistory::system(&row, "reopen", serde_json::Value::Null, now)
        });
        row.status = Status::Reopened.to_string();
        em.push(
            row.id,
            &case_event!(ComplaintReopenedV1, &facts, { reason: reason.clone(), reopened_at: now }),
        );
        super::actions::status_changed(
            &mut em,
            &row,
            &facts,
            (status, Status::Reopened),
            "survey",
            None,
            now,
        );
    }
    history::append_all(conn, &entries)?;
    super::sla::refresh(conn, &mut row, now, rules)?;
    row.version += 1;
    row.updated_at = now;
    repo::save(conn, &row)?;
    em.flush(conn)?;
    Ok(survey)
}
