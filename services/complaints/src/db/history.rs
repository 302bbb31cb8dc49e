//! A case's history: appending to it (one entry in [`super::complaints::record`], many at once
//! here, for sweeps and consumers) and reading it a page at a time.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use uuid::Uuid;

use super::complaints::ComplaintRow;
use super::schema::complaint_history;
use crate::domain::history::SHOWN_IN_PLACE;

/// `SYSTEM`: the actor (and role) of what the service does by itself; `role_of`: the role an
/// entry records for its actor.
pub use crate::domain::history::{role_of, SYSTEM};

/// An entry of a case's history, as appended ([`HistoryRow`] when read).
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
    /// The role the actor acted in ([`role_of`]); none on entries written before roles were
    /// recorded.
    pub actor_role: Option<String>,
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
            actor_role: Some(SYSTEM.into()),
        }
    }
}

/// A history entry as stored: what was appended, and its place in the history.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = complaint_history)]
#[diesel(check_for_backend(diesel::pg::Pg))]
pub struct HistoryRow {
    pub id: i64,
    #[diesel(embed)]
    pub entry: NewHistory,
}

/// Rows per INSERT: 8 parameters each stay well under PostgreSQL's 65,535 per statement.
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

/// One page (`limit + 1` entries) of a case's history after the entry `after`, in the order
/// appended. For an `outsider` (a merchant, an end customer) only the entries
/// `domain::history` shows them — changes of status, public comments (`internal: false`),
/// [`SHOWN_IN_PLACE`] — so an outsider's pages are full.
pub fn page(
    conn: &mut PgConnection,
    id: Uuid,
    outsider: bool,
    after: Option<i64>,
    limit: i64,
) -> QueryResult<Vec<HistoryRow>> {
    use complaint_history as h;
    let mut q = h::table
        .filter(h::complaint_id.eq(id))
        .select(HistoryRow::as_select())
        .into_boxed();
    if outsider {
        let public_comment = h::action.ne("comment").or(h::payload
            .retrieve_as_object("internal")
            .eq(serde_json::Value::Bool(false)));
        q = q.filter(
            h::from_status
                .is_null()
                .or(h::from_status.ne(h::to_status.nullable()))
                .or(h::action.eq_any(SHOWN_IN_PLACE).and(public_comment)),
        );
    }
    if let Some(after) = after {
        q = q.filter(h::id.gt(after));
    }
    q.order(h::id.asc()).limit(limit + 1).load(conn)
}
