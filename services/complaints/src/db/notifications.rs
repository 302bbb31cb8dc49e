//! The supervisors' inbox: notifications the desk addressed to staff.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use uuid::Uuid;

use super::schema::staff_notifications as n;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = n)]
#[diesel(check_for_backend(diesel::pg::Pg))]
pub struct NotificationRow {
    pub id: Uuid,
    pub recipient_id: Option<Uuid>,
    pub department: String,
    pub complaint_id: Uuid,
    pub kind: String,
    pub payload: serde_json::Value,
    pub created_at: DateTime<Utc>,
    pub read_at: Option<DateTime<Utc>>,
}

/// Rows per INSERT (8 parameters each).
const CHUNK: usize = 5_000;

pub fn insert_all(conn: &mut PgConnection, rows: &[NotificationRow]) -> QueryResult<usize> {
    let mut total = 0;
    for chunk in rows.chunks(CHUNK) {
        total += diesel::insert_into(n::table).values(chunk).execute(conn)?;
    }
    Ok(total)
}

/// Whose notifications a reader sees.
#[derive(Debug, Clone, Copy)]
pub enum Reader {
    /// Everyone's (admins, managers), or one person's when named.
    All(Option<Uuid>),
    /// Their own and those addressed to no one (supervisors).
    Supervisor(Uuid),
}

fn visible(reader: Reader) -> n::BoxedQuery<'static, diesel::pg::Pg> {
    let q = n::table.into_boxed();
    match reader {
        Reader::All(None) => q,
        Reader::All(Some(who)) => q.filter(n::recipient_id.eq(who)),
        Reader::Supervisor(me) => q.filter(n::recipient_id.eq(me).or(n::recipient_id.is_null())),
    }
}

/// A page, newest first, after the cursor `(created_at, id)`.
pub fn page(
    conn: &mut PgConnection,
    reader: Reader,
    unread: Option<bool>,
    after: Option<(DateTime<Utc>, Uuid)>,
    limit: i64,
) -> QueryResult<Vec<NotificationRow>> {
    let mut q = visible(reader);
    match unread {
        Some(true) => q = q.filter(n::read_at.is_null()),
        Some(false) => q = q.filter(n::read_at.is_not_null()),
        None => {}
    }
    if let Some((at, id)) = after {
        q = q.filter(
            n::created_at
                .lt(at)
                .or(n::created_at.eq(at).and(n::id.lt(id))),
        );
    }
    q.order((n::created_at.desc(), n::id.desc()))
        .limit(limit)
        .select(NotificationRow::as_select())
        .load(conn)
}

/// Marks a notification the reader sees as read (once: the first time stays).
pub fn mark_read(
    conn: &mut PgConnection,
    reader: Reader,
    id: Uuid,
    now: DateTime<Utc>,
) -> QueryResult<Option<NotificationRow>> {
    let Some(row) = visible(reader)
        .filter(n::id.eq(id))
        .select(NotificationRow::as_select())
        .first(conn)
        .optional()?
    else {
        return Ok(None);
    };
    if row.read_at.is_some() {
        return Ok(Some(row));
    }
    diesel::update(n::table.find(id))
        .set(n::read_at.eq(now))
        .returning(NotificationRow::as_returning())
        .get_result(conn)
        .optional()
}
