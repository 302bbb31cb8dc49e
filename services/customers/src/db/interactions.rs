//! The `interactions` table: every touchpoint of a customer.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use std::collections::HashMap;
use uuid::Uuid;

use super::schema::{customers, interactions};
use crate::domain::enums::{Channel, Direction, InteractionKind};

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

/// Logs the interactions of events, each for the customer its event names if it is one of
/// ours: a merged duplicate's interactions go to its survivor; unknown or erased customers are
/// skipped. One query finds the customers, one statement per thousand rows logs them.
pub fn insert_for_events(
    conn: &mut PgConnection,
    mut rows: Vec<InteractionRow>,
) -> QueryResult<()> {
    if rows.is_empty() {
        return Ok(());
    }
    let named: Vec<Uuid> = rows.iter().map(|r| r.customer_id).collect();
    let targets: HashMap<Uuid, Option<Uuid>> = customers::table
        .filter(customers::id.eq_any(&named))
        .filter(customers::erased_at.is_null())
        .select((customers::id, customers::merged_into))
        .load::<(Uuid, Option<Uuid>)>(conn)?
        .into_iter()
        .collect();
    rows.retain_mut(|row| match targets.get(&row.customer_id) {
        Some(merged_into) => {
            row.customer_id = merged_into.unwrap_or(row.customer_id);
            true
        }
        None => false,
    });
    for chunk in rows.chunks(1_000) {
        diesel::insert_into(interactions::table)
            .values(chunk)
            .on_conflict_do_nothing()
            .execute(conn)?;
    }
    Ok(())
}

/// The interaction `id` if it is on `customer_id`'s timeline.
pub fn find_of(
    conn: &mut PgConnection,
    customer_id: Uuid,
    id: Uuid,
) -> QueryResult<Option<InteractionRow>> {
    interactions::table
        .find(id)
        .filter(interactions::customer_id.eq(customer_id))
        .select(InteractionRow::as_select())
        .first(conn)
        .optional()
}

/// Which of a customer's interactions a page lists: those matching every filter set (none
/// set: all of them).
#[derive(Debug, Clone, Copy, Default)]
pub struct Filter {
    pub channel: Option<Channel>,
    pub direction: Option<Direction>,
    pub kind: Option<InteractionKind>,
}

/// A page of a customer's interactions, newest first, after the `(occurred_at, id)` cursor.
pub fn page(
    conn: &mut PgConnection,
    customer_id: Uuid,
    after: Option<(DateTime<Utc>, Uuid)>,
    limit: i64,
) -> QueryResult<Vec<InteractionRow>> {
    page_of(conn, customer_id, Filter::default(), after, limit)
}

/// A page of a customer's interactions that match `filter`, newest first, after the
/// `(occurred_at, id)` cursor: the filters narrow the rows the keyset walks, so a cursor of a
/// filtered page continues that walk.
pub fn page_of(
    conn: &mut PgConnection,
    customer_id: Uuid,
    filter: Filter,
    after: Option<(DateTime<Utc>, Uuid)>,
    limit: i64,
) -> QueryResult<Vec<InteractionRow>> {
    let mut q = interactions::table
        .filter(interactions::customer_id.eq(customer_id))
        .select(InteractionRow::as_select())
        .into_boxed();
    if let Some(channel) = filter.channel {
        q = q.filter(interactions::channel.eq(channel.as_str()));
    }
    if let Some(direction) = filter.direction {
        q = q.filter(interactions::direction.eq(direction.as_str()));
    }
    if let Some(kind) = filter.kind {
        q = q.filter(interactions::kind.eq(kind.as_str()));
    }
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
