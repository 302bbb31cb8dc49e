//! The `interactions` table: every touchpoint of a customer.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use uuid::Uuid;

use super::schema::{customers, interactions};

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = interactions)]
#[diesel(check_for_backend(diesel::pg::Pg))]
pub struct InteractionRow {
    pub id: Uuid,
    pub customer_id: Uuid,
    pub channel: String,
    pub direction: String,
    pub kind: String,
    pub summary: String,
    pub staff_id: Option<Uuid>,
    pub occurred_at: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
    pub source: Option<String>,
}

/// Logs an interaction; one logged from an event (`source` set) is logged at most once.
pub fn insert(conn: &mut PgConnection, row: &InteractionRow) -> QueryResult<()> {
    diesel::insert_into(interactions::table)
        .values(row)
        .on_conflict_do_nothing()
        .execute(conn)
        .map(drop)
}

/// Logs an interaction for the customer an event names, if it is one of ours: a merged
/// duplicate's interactions go to its survivor; unknown or erased customers are skipped.
pub fn insert_for_event(conn: &mut PgConnection, mut row: InteractionRow) -> QueryResult<()> {
    let target: Option<(Uuid, Option<Uuid>)> = customers::table
        .find(row.customer_id)
        .filter(customers::erased_at.is_null())
        .select((customers::id, customers::merged_into))
        .first(conn)
        .optional()?;
    let Some((id, merged_into)) = target else {
        return Ok(());
    };
    row.customer_id = merged_into.unwrap_or(id);
    insert(conn, &row)
}

/// A page of a customer's interactions, newest first, after the `(occurred_at, id)` cursor.
pub fn page(
    conn: &mut PgConnection,
    customer_id: Uuid,
    after: Option<(DateTime<Utc>, Uuid)>,
    limit: i64,
) -> QueryResult<Vec<InteractionRow>> {
    let mut q = interactions::table
        .filter(interactions::customer_id.eq(customer_id))
        .select(InteractionRow::as_select())
        .into_boxed();
    if let Some((at, id)) = after {
        q = q.filter(
            interactions::occurred_at
                .lt(at)
                .or(interactions::occurred_at
                    .eq(at)
                    .and(interactions::id.lt(id))),
        );
    }
    q.order((interactions::occurred_at.desc(), interactions::id.desc()))
        .limit(limit + 1)
        .load(conn)
}
