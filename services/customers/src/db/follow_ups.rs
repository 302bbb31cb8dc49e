//! The `follow_ups` table: tasks by hand and by rule, at most one per rule trigger.

use chrono::{DateTime, Utc};
use diesel::pg::Pg;
use diesel::prelude::*;
use diesel::query_builder::BoxedUpdateStatement;
use uuid::Uuid;

use super::rules::BIRTHDAY_CARE;
use super::schema::{customers, follow_ups};

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = follow_ups)]
#[diesel(check_for_backend(diesel::pg::Pg))]
pub struct FollowUpRow {
    pub id: Uuid,
    pub customer_id: Uuid,
    pub assignee_id: Option<Uuid>,
    pub due_at: DateTime<Utc>,
    pub reason: String,
    pub rule: Option<String>,
    pub trigger_key: Option<String>,
    pub status: String,
    pub outcome: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub closed_at: Option<DateTime<Utc>>,
    pub version: i32,
}

/// Creates a task; a second task for the same `trigger_key` is not created.
pub fn insert(conn: &mut PgConnection, row: &FollowUpRow) -> QueryResult<usize> {
    diesel::insert_into(follow_ups::table)
        .values(row)
        .on_conflict_do_nothing()
        .execute(conn)
}

/// The task `id`, locked for a change.
pub fn find(conn: &mut PgConnection, id: Uuid) -> QueryResult<Option<FollowUpRow>> {
    follow_ups::table
        .find(id)
        .select(FollowUpRow::as_select())
        .for_update()
        .first(conn)
        .optional()
}

/// The task `id`, to read.
pub fn get(conn: &mut PgConnection, id: Uuid) -> QueryResult<Option<FollowUpRow>> {
    follow_ups::table
        .find(id)
        .select(FollowUpRow::as_select())
        .first(conn)
        .optional()
}

/// Closes an open task, as a new version.
pub fn close(
    conn: &mut PgConnection,
    id: Uuid,
    status: &str,
    outcome: Option<String>,
    now: DateTime<Utc>,
) -> QueryResult<FollowUpRow> {
    diesel::update(follow_ups::table.find(id))
        .set((
            follow_ups::status.eq(status),
            follow_ups::outcome.eq(outcome),
            follow_ups::updated_at.eq(now),
            follow_ups::closed_at.eq(Some(now)),
            follow_ups::version.eq(follow_ups::version + 1),
        ))
        .returning(FollowUpRow::as_returning())
        .get_result(conn)
}

/// Cancels the open tasks of `customer_id` planned by the `rules`, with `outcome`, each as a
/// new version; answers how many.
pub fn cancel_open(
    conn: &mut PgConnection,
    customer_id: Uuid,
    rules: &[&str],
    outcome: &str,
    now: DateTime<Utc>,
) -> QueryResult<usize> {
    let q = diesel::update(follow_ups::table)
        .filter(follow_ups::customer_id.eq(customer_id))
        .filter(follow_ups::status.eq("open"))
        .filter(follow_ups::rule.eq_any(rules))
        .into_boxed();
    cancel(conn, q, outcome, now)
}

/// Cancels the tasks `q` picks with `outcome`, each as a new version; answers how many.
fn cancel(
    conn: &mut PgConnection,
    q: BoxedUpdateStatement<'_, Pg, follow_ups::table>,
    outcome: &str,
    now: DateTime<Utc>,
) -> QueryResult<usize> {
    q.set((
        follow_ups::status.eq("cancelled"),
        follow_ups::outcome.eq(outcome),
        follow_ups::updated_at.eq(now),
        follow_ups::closed_at.eq(Some(now)),
        follow_ups::version.eq(follow_ups::version + 1),
    ))
    .execute(conn)
}

/// Cancels the open birthday-care tasks of `customer_id` with `outcome`, each as a new version,
/// but those due at `keep`'s time under its trigger key or none (planned by a birthday
/// change); answers how many. Their trigger keys stay taken (see
/// [`super::rules::plan_birthday_care`]).
pub fn cancel_birthday_care(
    conn: &mut PgConnection,
    customer_id: Uuid,
    keep: Option<(DateTime<Utc>, &str)>,
    outcome: &str,
    now: DateTime<Utc>,
) -> QueryResult<usize> {
    let mut q = diesel::update(follow_ups::table)
        .filter(follow_ups::customer_id.eq(customer_id))
        .filter(follow_ups::status.eq("open"))
        .filter(follow_ups::rule.eq(BIRTHDAY_CARE))
        .into_boxed();
    if let Some((due, key)) = keep {
        let kept = follow_ups::due_at.eq(due).and(
            follow_ups::trigger_key
                .eq(key)
                .or(follow_ups::trigger_key.is_null()),
        );
        q = q.filter(diesel::dsl::not(kept));
    }
    cancel(conn, q, outcome, now)
}

/// Which birthday-care tasks a list shows: their due date is the customer's birthday (PII),
/// shown only to whoever sees that customer's PII unmasked.
#[derive(Debug, Clone, Copy, Default)]
pub enum BirthdayCare {
    #[default]
    All,
    /// Only those of the customers this user owns (an agent).
    OwnedBy(Uuid),
    None,
}

/// Filters of a task list.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub customer_id: Option<Uuid>,
    pub assignee_id: Option<Uuid>,
    pub due_before: Option<DateTime<Utc>>,
    pub status: Option<String>,
    /// Only the tasks of customers this caller may see (merchants: their account's).
    pub customer_ids: Option<Vec<Uuid>>,
    pub birthday_care: BirthdayCare,
}

/// A page of tasks, soonest due first, after the `(due_at, id)` cursor.
pub fn page(
    conn: &mut PgConnection,
    f: &Filter,
    after: Option<(DateTime<Utc>, Uuid)>,
    limit: i64,
) -> QueryResult<Vec<FollowUpRow>> {
    let mut q = follow_ups::table
        .select(FollowUpRow::as_select())
        .into_boxed();
    if let Some(v) = f.customer_id {
        q = q.filter(follow_ups::customer_id.eq(v));
    }
    if let Some(v) = f.assignee_id {
        q = q.filter(follow_ups::assignee_id.eq(v));
    }
    if let Some(v) = f.due_before {
        q = q.filter(follow_ups::due_at.lt(v));
    }
    if let Some(v) = &f.status {
        q = q.filter(follow_ups::status.eq(v.clone()));
    }
    if let Some(ids) = &f.customer_ids {
        q = q.filter(follow_ups::customer_id.eq_any(ids.clone()));
    }
    let other_rule = follow_ups::rule.is_distinct_from(BIRTHDAY_CARE);
    match f.birthday_care {
        BirthdayCare::All => {}
        BirthdayCare::None => q = q.filter(other_rule),
        BirthdayCare::OwnedBy(me) => {
            let owned = customers::table
                .filter(customers::owner_id.eq(me))
                .select(customers::id);
            q = q.filter(other_rule.or(follow_ups::customer_id.eq_any(owned)));
        }
    }
    if let Some((at, id)) = after {
        q = q.filter(
            follow_ups::due_at
                .gt(at)
                .or(follow_ups::due_at.eq(at).and(follow_ups::id.gt(id))),
        );
    }
    q.order((follow_ups::due_at.asc(), follow_ups::id.asc()))
        .limit(limit + 1)
        .load(conn)
}

/// Moves tasks of `from` customer to `to` (merge), each as a new version, returning the moved
/// ids.
pub fn move_all(conn: &mut PgConnection, from: Uuid, to: Uuid) -> QueryResult<Vec<Uuid>> {
    diesel::update(follow_ups::table.filter(follow_ups::customer_id.eq(from)))
        .set((
            follow_ups::customer_id.eq(to),
            follow_ups::version.eq(follow_ups::version + 1),
        ))
        .returning(follow_ups::id)
        .get_results(conn)
}

/// Moves the given tasks back to customer `to` (merge undo), each as a new version.
pub fn move_back(conn: &mut PgConnection, ids: &[Uuid], to: Uuid) -> QueryResult<()> {
    diesel::update(follow_ups::table.filter(follow_ups::id.eq_any(ids)))
        .set((
            follow_ups::customer_id.eq(to),
            follow_ups::version.eq(follow_ups::version + 1),
        ))
        .execute(conn)
        .map(drop)
}
