//! Satisfaction surveys and their one-time links (only the token's SHA-256 is stored).

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use uuid::Uuid;

use super::schema::{survey_tokens, surveys};
use crate::domain::lifecycle::SURVEY_STATUSES;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = surveys)]
#[diesel(check_for_backend(diesel::pg::Pg))]
pub struct SurveyRow {
    pub id: Uuid,
    pub complaint_id: Uuid,
    pub overall: i16,
    pub speed: Option<i16>,
    pub effectiveness: Option<i16>,
    pub attitude: Option<i16>,
    pub suggestion: Option<String>,
    pub via: String,
    pub submitted_by: Option<String>,
    pub submitted_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = survey_tokens)]
#[diesel(check_for_backend(diesel::pg::Pg))]
pub struct TokenRow {
    pub token_hash: String,
    pub complaint_id: Uuid,
    pub expires_at: DateTime<Utc>,
    pub used_at: Option<DateTime<Utc>>,
    /// When a newer link of the case replaced this one (unused).
    pub revoked_at: Option<DateTime<Utc>>,
}

pub fn insert(conn: &mut PgConnection, row: &SurveyRow) -> QueryResult<()> {
    super::insert(conn, surveys::table, row)
}

/// Revokes the case's links not used yet (a new one replaces them).
pub fn revoke_unused(
    conn: &mut PgConnection,
    complaint_id: Uuid,
    now: DateTime<Utc>,
) -> QueryResult<usize> {
    diesel::update(
        survey_tokens::table
            .filter(survey_tokens::complaint_id.eq(complaint_id))
            .filter(survey_tokens::used_at.is_null())
            .filter(survey_tokens::revoked_at.is_null()),
    )
    .set(survey_tokens::revoked_at.eq(now))
    .execute(conn)
}

pub fn insert_token(
    conn: &mut PgConnection,
    hash: &str,
    complaint_id: Uuid,
    now: DateTime<Utc>,
    expires_at: DateTime<Utc>,
) -> QueryResult<()> {
    let token = (
        survey_tokens::token_hash.eq(hash),
        survey_tokens::complaint_id.eq(complaint_id),
        survey_tokens::created_at.eq(now),
        survey_tokens::expires_at.eq(expires_at),
    );
    super::insert(conn, survey_tokens::table, token)
}

/// A link's token row, locked when `lock`.
pub fn token(conn: &mut PgConnection, hash: &str, lock: bool) -> QueryResult<Option<TokenRow>> {
    let q = survey_tokens::table
        .find(hash)
        .select(TokenRow::as_select());
    if lock {
        q.for_update().first(conn).optional()
    } else {
        q.first(conn).optional()
    }
}

pub fn use_token(conn: &mut PgConnection, hash: &str, now: DateTime<Utc>) -> QueryResult<()> {
    diesel::update(survey_tokens::table.find(hash))
        .set(survey_tokens::used_at.eq(now))
        .execute(conn)
        .map(drop)
}

pub fn of_case(conn: &mut PgConnection, complaint_id: Uuid) -> QueryResult<Vec<SurveyRow>> {
    surveys::table
        .filter(surveys::complaint_id.eq(complaint_id))
        .order(surveys::submitted_at.asc())
        .select(SurveyRow::as_select())
        .load(conn)
}

/// The history payload of the survey answered since the case last reached `awaiting_feedback`
/// or `closed` from another status (its latest resolution), if any: history ids are in the
/// order the case's locked writes happened.
pub fn answered_since_resolution(
    conn: &mut PgConnection,
    complaint_id: Uuid,
) -> QueryResult<Option<serde_json::Value>> {
    use super::schema::complaint_history as h;
    let surveyable = SURVEY_STATUSES.map(|s| s.as_str());
    let resolved: Option<i64> = h::table
        .filter(h::complaint_id.eq(complaint_id))
        .filter(h::to_status.eq_any(surveyable))
        .filter(
            h::from_status
                .is_null()
                .or(h::from_status.ne_all(surveyable)),
        )
        .select(diesel::dsl::max(h::id))
        .first(conn)?;
    h::table
        .filter(h::complaint_id.eq(complaint_id))
        .filter(h::action.eq("survey"))
        .filter(h::id.gt(resolved.unwrap_or(0)))
        .order(h::id.desc())
        .select(h::payload)
        .first(conn)
        .optional()
}

/// One survey of a case.
pub fn find(
    conn: &mut PgConnection,
    complaint_id: Uuid,
    id: Uuid,
) -> QueryResult<Option<SurveyRow>> {
    surveys::table
        .filter(surveys::id.eq(id))
        .filter(surveys::complaint_id.eq(complaint_id))
        .select(SurveyRow::as_select())
        .first(conn)
        .optional()
}
