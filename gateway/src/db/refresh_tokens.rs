//! `refresh_tokens`: the digests of issued refresh tokens, grouped in families (every token
//! descended from one login), each usable once.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use kuaidi_shared::clock::new_id;
use uuid::Uuid;

use super::schema::refresh_tokens;

/// A stored refresh token.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = refresh_tokens)]
#[diesel(check_for_backend(diesel::pg::Pg))]
pub struct RefreshTokenRow {
    pub id: Uuid,
    pub user_id: Uuid,
    pub family_id: Uuid,
    pub token_hash: String,
    pub expires_at: DateTime<Utc>,
    pub used_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub session_started_at: Option<DateTime<Utc>>,
}

impl RefreshTokenRow {
    /// A new, unused token of `family_id` for `user_id`.
    pub fn new(
        user_id: Uuid,
        family_id: Uuid,
        token_hash: String,
        now: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> Self {
        Self {
            id: new_id(),
            user_id,
            family_id,
            token_hash,
            expires_at,
            used_at: None,
            revoked_at: None,
            created_at: now,
            session_started_at: Some(now),
        }
    }
}

/// Stores a refresh token's digest.
pub fn insert(conn: &mut PgConnection, row: &RefreshTokenRow) -> QueryResult<()> {
    diesel::insert_into(refresh_tokens::table)
        .values(row)
        .execute(conn)
        .map(drop)
}

/// The token with this digest, locked for the rest of the transaction.
pub fn find_for_update(
    conn: &mut PgConnection,
    digest: &str,
) -> QueryResult<Option<RefreshTokenRow>> {
    refresh_tokens::table
        .filter(refresh_tokens::token_hash.eq(digest))
        .select(RefreshTokenRow::as_select())
        .for_update()
        .first(conn)
        .optional()
}

/// The family of the token with this digest, if any.
pub fn family_of(conn: &mut PgConnection, digest: &str) -> QueryResult<Option<Uuid>> {
    refresh_tokens::table
        .filter(refresh_tokens::token_hash.eq(digest))
        .select(refresh_tokens::family_id)
        .first(conn)
        .optional()
}

/// Spends a token.
pub fn mark_used(conn: &mut PgConnection, id: Uuid, now: DateTime<Utc>) -> QueryResult<usize> {
    diesel::update(refresh_tokens::table.find(id))
        .set(refresh_tokens::used_at.eq(now))
        .execute(conn)
}

/// Ends a session: every token of the family stops working.
pub fn revoke_family(
    conn: &mut PgConnection,
    family: Uuid,
    now: DateTime<Utc>,
) -> QueryResult<usize> {
    diesel::update(refresh_tokens::table.filter(refresh_tokens::family_id.eq(family)))
        .set(refresh_tokens::revoked_at.eq(now))
        .execute(conn)
}

/// Ends every session of a user.
pub fn revoke_user(
    conn: &mut PgConnection,
    user_id: Uuid,
    now: DateTime<Utc>,
) -> QueryResult<usize> {
    diesel::update(
        refresh_tokens::table
            .filter(refresh_tokens::user_id.eq(user_id))
            .filter(refresh_tokens::revoked_at.is_null()),
    )
    .set(refresh_tokens::revoked_at.eq(Some(now)))
    .execute(conn)
}
