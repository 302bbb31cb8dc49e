//! Improvement actions: root causes turned into fixes with an owner and a deadline.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use uuid::Uuid;

use super::schema::{complaints, improvement_actions};

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable, AsChangeset, Identifiable)]
#[diesel(table_name = improvement_actions)]
#[diesel(check_for_backend(diesel::pg::Pg))]
#[diesel(treat_none_as_null = true)]
pub struct ImprovementRow {
    pub id: Uuid,
    pub root_cause: String,
    pub goal: String,
    pub method: Option<String>,
    pub owner_id: Option<Uuid>,
    pub due_at: Option<DateTime<Utc>>,
    pub status: String,
    pub metric: Option<String>,
    /// A JSON number or string (`domain::improvement::Measure`), as given.
    pub baseline: Option<serde_json::Value>,
    pub result: Option<serde_json::Value>,
    pub complaint_ids: Vec<Uuid>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: i32,
}

pub fn insert(conn: &mut PgConnection, row: &ImprovementRow) -> QueryResult<()> {
    super::insert(conn, improvement_actions::table, row)
}

pub fn save(conn: &mut PgConnection, row: &ImprovementRow) -> QueryResult<()> {
    super::save(conn, row)
}

pub fn find(conn: &mut PgConnection, id: Uuid, lock: bool) -> QueryResult<Option<ImprovementRow>> {
    let q = improvement_actions::table
        .find(id)
        .select(ImprovementRow::as_select());
    if lock {
        q.for_update().first(conn).optional()
    } else {
        q.first(conn).optional()
    }
}

/// One page (`limit + 1` rows), oldest first, by root cause and status.
pub fn page(
    conn: &mut PgConnection,
    root_cause: Option<String>,
    status: Option<String>,
    after: Option<(DateTime<Utc>, Uuid)>,
    limit: i64,
) -> QueryResult<Vec<ImprovementRow>> {
    use improvement_actions as i;
    let mut q = i::table.select(ImprovementRow::as_select()).into_boxed();
    if let Some(v) = root_cause {
        q = q.filter(i::root_cause.eq(v));
    }
    if let Some(v) = status {
        q = q.filter(i::status.eq(v));
    }
    if let Some((at, id)) = after {
        q = q.filter(
            i::created_at
                .gt(at)
                .or(i::created_at.eq(at).and(i::id.gt(id))),
        );
    }
    q.order((i::created_at.asc(), i::id.asc()))
        .limit(limit + 1)
        .load(conn)
}

/// The ids among `ids` that name no case.
pub fn unknown_cases(conn: &mut PgConnection, ids: &[Uuid]) -> QueryResult<Vec<Uuid>> {
    let known: Vec<Uuid> = complaints::table
        .filter(complaints::id.eq_any(ids))
        .select(complaints::id)
        .load(conn)?;
    Ok(ids.iter().filter(|i| !known.contains(i)).copied().collect())
}
