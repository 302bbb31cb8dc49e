//! Failed-login counters, locks and the addresses users signed in from.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use uuid::Uuid;

use super::schema::{login_addresses, users};
use crate::domain::lockout::lock_for;

/// Whether `user_id` signed in successfully from `ip` before.
pub fn is_known_address(conn: &mut PgConnection, user_id: Uuid, ip: &str) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        login_addresses::table
            .filter(login_addresses::user_id.eq(user_id))
            .filter(login_addresses::ip.eq(ip)),
    ))
    .get_result(conn)
}

/// Counts a failed login and returns the failures in a row and the lock it started, if any
/// (the lock's length grows with the failures: `lock_for`).
pub fn record_failure(
    conn: &mut PgConnection,
    id: Uuid,
    now: DateTime<Utc>,
) -> QueryResult<(i32, Option<DateTime<Utc>>)> {
    let failures: i32 = diesel::update(users::table.find(id))
        .set(users::failed_logins.eq(users::failed_logins + 1))
        .returning(users::failed_logins)
        .get_result(conn)?;
    let Some(lock) = lock_for(failures) else {
        return Ok((failures, None));
    };
    let until = now + lock;
    diesel::update(users::table.find(id))
        .set(users::locked_until.eq(until))
        .execute(conn)?;
    Ok((failures, Some(until)))
}

/// A successful login from `ip`: remembered as a known address; the failure count and an
/// expired lock are cleared (a running lock stays: it keeps strangers out).
pub fn record_success(
    conn: &mut PgConnection,
    id: Uuid,
    ip: &str,
    now: DateTime<Utc>,
) -> QueryResult<()> {
    diesel::insert_into(login_addresses::table)
        .values((
            login_addresses::user_id.eq(id),
            login_addresses::ip.eq(ip),
            login_addresses::last_success_at.eq(now),
        ))
        .on_conflict((login_addresses::user_id, login_addresses::ip))
        .do_update()
        .set(login_addresses::last_success_at.eq(now))
        .execute(conn)?;
    diesel::update(
        users::table.find(id).filter(
            users::locked_until
                .is_null()
                .or(users::locked_until.le(now)),
        ),
    )
    .set((
        users::failed_logins.eq(0),
        users::locked_until.eq(None::<DateTime<Utc>>),
    ))
    .execute(conn)
    .map(drop)
}

/// Lifts a lock (admins); returns whether the user exists.
pub fn unlock(conn: &mut PgConnection, id: Uuid) -> QueryResult<bool> {
    diesel::update(users::table.find(id))
        .set((
            users::failed_logins.eq(0),
            users::locked_until.eq(None::<DateTime<Utc>>),
        ))
        .execute(conn)
        .map(|n| n > 0)
}
