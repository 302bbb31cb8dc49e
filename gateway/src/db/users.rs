//! Staff users and their refresh tokens.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use uuid::Uuid;

use super::schema::users;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = users)]
#[diesel(check_for_backend(diesel::pg::Pg))]
pub struct UserRow {
    pub id: Uuid,
    pub username: String,
    pub password_hash: String,
    pub role: String,
    pub display_name: Option<String>,
    pub disabled: bool,
    pub failed_logins: i32,
    pub locked_until: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: i32,
    /// When their sessions last ended: tokens issued up to that second are refused.
    pub sessions_ended_at: Option<DateTime<Utc>>,
}

impl UserRow {
    /// A new user, enabled, with no failed sign-ins, at version 1.
    pub fn new(
        username: String,
        password_hash: String,
        role: String,
        display_name: Option<String>,
        now: DateTime<Utc>,
    ) -> Self {
        Self {
            id: Uuid::now_v7(),
            username,
            password_hash,
            role,
            display_name,
            disabled: false,
            failed_logins: 0,
            locked_until: None,
            created_at: now,
            updated_at: now,
            version: 1,
            sessions_ended_at: None,
        }
    }
}

pub fn insert(conn: &mut PgConnection, row: &UserRow) -> QueryResult<()> {
    diesel::insert_into(users::table)
        .values(row)
        .execute(conn)
        .map(drop)
}

pub fn count(conn: &mut PgConnection) -> QueryResult<i64> {
    users::table.count().get_result(conn)
}

pub fn find(conn: &mut PgConnection, id: Uuid) -> QueryResult<Option<UserRow>> {
    users::table
        .find(id)
        .select(UserRow::as_select())
        .first(conn)
        .optional()
}

pub fn find_by_username(conn: &mut PgConnection, username: &str) -> QueryResult<Option<UserRow>> {
    users::table
        .filter(users::username.eq(username))
        .select(UserRow::as_select())
        .first(conn)
        .optional()
}

/// Writes `next` over the user if they are still at `next.version - 1` (optimistic
/// concurrency); `false` when another change came first.
pub fn update_if_unchanged(conn: &mut PgConnection, next: &UserRow) -> QueryResult<bool> {
    let target = users::table
        .filter(users::id.eq(next.id))
        .filter(users::version.eq(next.version - 1));
    let n = diesel::update(target)
        .set((
            users::display_name.eq(&next.display_name),
            users::role.eq(&next.role),
            users::disabled.eq(next.disabled),
            users::password_hash.eq(&next.password_hash),
            users::updated_at.eq(next.updated_at),
            users::version.eq(next.version),
        ))
        .execute(conn)?;
    Ok(n == 1)
}

/// Ends user `id`'s sessions at `now` — or a second after they last ended, when that is later:
/// a token issued after an end is dated the second after it (`crate::tokens`), so each end
/// must pass the one before by a second to refuse such a token too. The time it recorded.
pub fn end_sessions(
    conn: &mut PgConnection,
    id: Uuid,
    now: DateTime<Utc>,
) -> QueryResult<DateTime<Utc>> {
    let ended_at: Option<DateTime<Utc>> = users::table
        .find(id)
        .select(users::sessions_ended_at)
        .for_update()
        .first(conn)?;
    let ended_at = ended_at.map_or(now, |t| now.max(t + chrono::Duration::seconds(1)));
    diesel::update(users::table.find(id))
        .set(users::sessions_ended_at.eq(Some(ended_at)))
        .execute(conn)?;
    Ok(ended_at)
}
