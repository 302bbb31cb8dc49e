//! Merges and their undo: both records are snapshotted (`to_jsonb` of the rows) before the
//! merge and after it, with the survivor's identities and the ids of what moved, so an undo
//! puts back what the merge changed and nothing else.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Array, Jsonb, Uuid as SqlUuid};
use uuid::Uuid;

use super::customers::CustomerRow;
use super::schema::{customer_identities, customers, interactions, merges};

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = merges)]
#[diesel(check_for_backend(diesel::pg::Pg))]
pub struct MergeRow {
    pub id: Uuid,
    pub survivor_id: Uuid,
    pub duplicate_id: Uuid,
    pub prefer: serde_json::Value,
    pub survivor_before: serde_json::Value,
    pub duplicate_before: serde_json::Value,
    pub identities_before: serde_json::Value,
    pub moved_interactions: Vec<Uuid>,
    pub moved_follow_ups: Vec<Uuid>,
    pub repointed: Vec<Uuid>,
    pub actor: Option<String>,
    pub merged_at: DateTime<Utc>,
    pub undone_at: Option<DateTime<Utc>>,
    /// Both records as the merge left them (`None` for merges from before these were kept).
    pub survivor_after: Option<serde_json::Value>,
    pub duplicate_after: Option<serde_json::Value>,
}

#[derive(QueryableByName)]
struct Snapshot {
    #[diesel(sql_type = Jsonb)]
    row: serde_json::Value,
}

/// The whole row of customer `id` as JSON.
pub fn snapshot(conn: &mut PgConnection, id: Uuid) -> QueryResult<serde_json::Value> {
    diesel::sql_query("SELECT to_jsonb(c) AS row FROM customers c WHERE c.id = $1")
        .bind::<SqlUuid, _>(id)
        .get_result::<Snapshot>(conn)
        .map(|s| s.row)
}

/// The customer row a [`snapshot`] holds (one taken before a column was added has the
/// column's default).
pub fn row_of(conn: &mut PgConnection, snapshot: &serde_json::Value) -> QueryResult<CustomerRow> {
    diesel::sql_query(
        "SELECT r.* FROM jsonb_populate_record(NULL::customers, \
           '{\"value_tier_manual\": false}'::jsonb || $1) r",
    )
    .bind::<Jsonb, _>(snapshot)
    .get_result(conn)
}

/// Marks `duplicate` merged into `survivor`, re-points duplicates merged into it earlier and
/// moves its interactions; returns `(repointed, moved interactions)`.
pub fn absorb(
    conn: &mut PgConnection,
    survivor: Uuid,
    duplicate: Uuid,
    now: DateTime<Utc>,
) -> QueryResult<(Vec<Uuid>, Vec<Uuid>)> {
    diesel::update(customers::table.find(duplicate))
        .set((
            customers::merged_into.eq(Some(survivor)),
            customers::updated_at.eq(now),
            customers::version.eq(customers::version + 1),
        ))
        .execute(conn)?;
    let repointed = diesel::update(customers::table.filter(customers::merged_into.eq(duplicate)))
        .set(customers::merged_into.eq(Some(survivor)))
        .returning(customers::id)
        .get_results(conn)?;
    let moved = diesel::update(interactions::table.filter(interactions::customer_id.eq(duplicate)))
        .set(interactions::customer_id.eq(survivor))
        .returning(interactions::id)
        .get_results(conn)?;
    Ok((repointed, moved))
}

/// Reverses [`absorb`] for the recorded ids, and gives the survivor the `identities` its
/// restored profile holds.
pub fn release(
    conn: &mut PgConnection,
    m: &MergeRow,
    identities: &[(String, String)],
) -> QueryResult<()> {
    diesel::update(customers::table.filter(customers::id.eq_any(&m.repointed)))
        .set(customers::merged_into.eq(Some(m.duplicate_id)))
        .execute(conn)?;
    diesel::update(interactions::table.filter(interactions::id.eq_any(&m.moved_interactions)))
        .set(interactions::customer_id.eq(m.duplicate_id))
        .execute(conn)?;
    super::follow_ups::move_back(conn, &m.moved_follow_ups, m.duplicate_id)?;
    diesel::delete(
        customer_identities::table.filter(customer_identities::customer_id.eq(m.survivor_id)),
    )
    .execute(conn)?;
    let rows: Vec<_> = identities
        .iter()
        .map(|(kind, digest)| {
            (
                customer_identities::kind.eq(kind),
                customer_identities::digest.eq(digest),
                customer_identities::customer_id.eq(m.survivor_id),
            )
        })
        .collect();
    diesel::insert_into(customer_identities::table)
        .values(&rows)
        .on_conflict_do_nothing()
        .execute(conn)
        .map(drop)
}

pub fn insert(conn: &mut PgConnection, row: &MergeRow) -> QueryResult<()> {
    diesel::insert_into(merges::table)
        .values(row)
        .execute(conn)
        .map(drop)
}

pub fn lock(conn: &mut PgConnection, id: Uuid) -> QueryResult<Option<MergeRow>> {
    merges::table
        .find(id)
        .select(MergeRow::as_select())
        .for_update()
        .first(conn)
        .optional()
}

pub fn mark_undone(conn: &mut PgConnection, id: Uuid, now: DateTime<Utc>) -> QueryResult<()> {
    diesel::update(merges::table.find(id))
        .set(merges::undone_at.eq(Some(now)))
        .execute(conn)
        .map(drop)
}

/// Every merge customer `id` took part in, newest first.
pub fn involving(conn: &mut PgConnection, id: Uuid) -> QueryResult<Vec<MergeRow>> {
    merges::table
        .filter(merges::survivor_id.eq(id).or(merges::duplicate_id.eq(id)))
        .select(MergeRow::as_select())
        .order(merges::merged_at.desc())
        .load(conn)
}

/// Forgets the snapshots of merges involving any of `ids` (erasure): they hold PII.
pub fn scrub(conn: &mut PgConnection, ids: &[Uuid]) -> QueryResult<()> {
    diesel::sql_query(
        "UPDATE merges SET survivor_before = '{}', duplicate_before = '{}', \
         identities_before = '[]', survivor_after = NULL, duplicate_after = NULL \
         WHERE survivor_id = ANY($1) OR duplicate_id = ANY($1)",
    )
    .bind::<Array<SqlUuid>, _>(ids)
    .execute(conn)
    .map(drop)
}
