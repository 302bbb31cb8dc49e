//! Appending to cases' histories in bulk (sweeps, consumers).

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use uuid::Uuid;

use super::complaints::ComplaintRow;
use super::schema::complaint_history;

/// The actor of what the service does by itself.
pub const SYSTEM: &str = "system";

/// An entry of a case's history, as appended ([`super::complaints::HistoryRow`] when read).
#[derive(Debug, Clone, Insertable, Queryable, Selectable)]
#[diesel(table_name = complaint_history)]
#[diesel(check_for_backend(diesel::pg::Pg))]
pub struct NewHistory {
    pub complaint_id: Uuid,
    pub actor: String,
    pub action: String,
    pub from_status: Option<String>,
    pub to_status: String,
    pub payload: serde_json::Value,
    pub at: DateTime<Utc>,
}

impl NewHistory {
    /// Something the service did to a case without changing its status.
    pub fn system(
        row: &ComplaintRow,
        action: &str,
        payload: serde_json::Value,
        at: DateTime<Utc>,
    ) -> Self {
        Self {
            complaint_id: row.id,
            actor: SYSTEM.into(),
            action: action.into(),
            from_status: Some(row.status.clone()),
            to_status: row.status.clone(),
            payload,
            at,
        }
    }
}

/// Rows per INSERT: 7 parameters each stay well under PostgreSQL's 65,535 per statement.
const CHUNK: usize = 5_000;

/// Appends many entries (a sweep may touch tens of thousands of cases at once).
pub fn append_all(conn: &mut PgConnection, entries: &[NewHistory]) -> QueryResult<usize> {
    let mut total = 0;
    for chunk in entries.chunks(CHUNK) {
        total += diesel::insert_into(complaint_history::table)
            .values(chunk)
            .execute(conn)?;
    }
    Ok(total)
}
