//! The state of a webhook endpoint (`webhook_subscriptions`): the edits of its owner (or of an
//! admin), its failing run, and its disabling and enabling again. Every change its owner sees or signs with — an
//! edit, `disabled_at` set or cleared — makes a new `version`, its ETag; the failing run, which
//! the owner does not see, moves with every attempt and makes none.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::Timestamptz;
use uuid::Uuid;

use super::webhooks::{webhook_subscriptions, Scope, SubscriptionRow};

/// The subscription `id` if it is in `scope`, locked until the end of the caller's transaction
/// (an edit reads, checks its `If-Match` and writes without another writer in between).
pub fn lock_in_scope(
    conn: &mut PgConnection,
    id: Uuid,
    scope: &Scope,
) -> QueryResult<Option<SubscriptionRow>> {
    Ok(webhook_subscriptions::table
        .find(id)
        .select(SubscriptionRow::as_select())
        .for_update()
        .first(conn)
        .optional()?
        .filter(|s| scope.covers(s)))
}

/// Writes an edited subscription as it stands (its new version included).
pub fn save_edit(conn: &mut PgConnection, row: &SubscriptionRow) -> QueryResult<()> {
    use webhook_subscriptions::dsl as w;
    diesel::update(w::webhook_subscriptions.find(row.id))
        .set((
            w::url.eq(&row.url),
            w::events.eq(&row.events),
            w::secret_sealed.eq(&row.secret_sealed),
            w::failing_since.eq(row.failing_since),
            w::disabled_at.eq(row.disabled_at),
            w::version.eq(row.version),
        ))
        .execute(conn)
        .map(drop)
}

/// A success ends the endpoint's failing run.
pub fn mark_endpoint_healthy(conn: &mut PgConnection, id: Uuid) -> QueryResult<()> {
    diesel::update(webhook_subscriptions::table.find(id))
        .set(webhook_subscriptions::failing_since.eq(None::<DateTime<Utc>>))
        .execute(conn)
        .map(drop)
}

/// Records a failure: starts the failing run if none; returns the (locked) subscription.
pub fn mark_endpoint_failing(
    conn: &mut PgConnection,
    id: Uuid,
    now: DateTime<Utc>,
) -> QueryResult<Option<SubscriptionRow>> {
    diesel::sql_query(
        "UPDATE webhook_subscriptions SET failing_since = COALESCE(failing_since, $2) \
         WHERE id = $1 RETURNING *",
    )
    .bind::<diesel::sql_types::Uuid, _>(id)
    .bind::<Timestamptz, _>(now)
    .get_result(conn)
    .optional()
}

/// Enables the endpoint again with a clean record (`:replay` by its owner or an admin).
pub fn enable_endpoint(conn: &mut PgConnection, id: Uuid) -> QueryResult<()> {
    use webhook_subscriptions::dsl as w;
    diesel::update(
        w::webhook_subscriptions
            .find(id)
            .filter(w::disabled_at.is_not_null()),
    )
    .set((
        w::disabled_at.eq(None::<DateTime<Utc>>),
        w::failing_since.eq(None::<DateTime<Utc>>),
        w::version.eq(w::version + 1),
    ))
    .execute(conn)
    .map(drop)
}

/// Disables the endpoint; `false` when it already was.
pub fn disable_endpoint(
    conn: &mut PgConnection,
    id: Uuid,
    now: DateTime<Utc>,
) -> QueryResult<bool> {
    use webhook_subscriptions::dsl as w;
    diesel::update(
        w::webhook_subscriptions
            .find(id)
            .filter(w::disabled_at.is_null()),
    )
    .set((w::disabled_at.eq(now), w::version.eq(w::version + 1)))
    .execute(conn)
    .map(|n| n == 1)
}
