//! What a customer merge moved here, kept so that its undo moves back exactly that (SPEC §4: a
//! merge can be undone). On `customer.merged` the duplicate's cases and claims, and the files
//! merged into the duplicate before (whose `merged_into` now names the survivor), are recorded
//! in `merge_repoints` before they move; on `customer.merge_undone` those still on the survivor
//! go back to the duplicate, and so do the cases opened while the merge stood on a parcel the
//! duplicate (or a file merged into it) sent: intake files a case naming no customer on the
//! shipper's survivor (`PHONES.current_id`), but the parcel named the duplicate — as does a case
//! filed on the survivor by hand on such a parcel then. A claim goes back with its case. The
//! survivor's own cases stay. `customer_merges` remembers each merge and its undo, so an undo
//! handled before its merge (a retried delivery) leaves the late merge nothing to do.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Array, Nullable, Timestamptz, Uuid as SqlUuid};
use kuaidi_shared::events::catalogue::{CustomerMergeUndoneV1, CustomerMergedV1};
use uuid::Uuid;

use super::customers::PHONES;

#[derive(QueryableByName)]
struct Undone {
    #[diesel(sql_type = Nullable<Timestamptz>)]
    undone_at: Option<DateTime<Utc>>,
}

#[derive(QueryableByName)]
struct Merged {
    #[diesel(sql_type = Nullable<Timestamptz>)]
    merged_at: Option<DateTime<Utc>>,
}

#[derive(QueryableByName)]
struct Id {
    #[diesel(sql_type = SqlUuid)]
    id: Uuid,
}

/// `customer.merged`, before the rows move: remembers the merge and records what it is about
/// to move. `false` when the merge was undone already (nothing is to move).
pub fn remember(conn: &mut PgConnection, m: &CustomerMergedV1) -> QueryResult<bool> {
    let seen: Undone = diesel::sql_query(
        "INSERT INTO customer_merges (merge_id, survivor_id, duplicate_id, merged_at) \
         VALUES ($1, $2, $3, $4) \
         ON CONFLICT (merge_id) DO UPDATE SET merged_at = EXCLUDED.merged_at \
         RETURNING undone_at",
    )
    .bind::<SqlUuid, _>(m.merge_id)
    .bind::<SqlUuid, _>(m.survivor_id)
    .bind::<SqlUuid, _>(m.duplicate_id)
    .bind::<Timestamptz, _>(m.merged_at)
    .get_result(conn)?;
    if seen.undone_at.is_some() {
        return Ok(false);
    }
    diesel::sql_query(
        "INSERT INTO merge_repoints (merge_id, entity, row_id) \
         SELECT $1, 'complaint', id FROM complaints WHERE customer_id = $2 \
         UNION ALL SELECT $1, 'claim', id FROM claims WHERE customer_id = $2 \
         UNION ALL SELECT $1, 'file', customer_id FROM customer_projection WHERE merged_into = $2 \
         ON CONFLICT DO NOTHING",
    )
    .bind::<SqlUuid, _>(m.merge_id)
    .bind::<SqlUuid, _>(m.duplicate_id)
    .execute(conn)?;
    Ok(true)
}

/// `customer.merge_undone`: what the merge moved goes back to the duplicate (each case a new
/// version as of `now`), the duplicate is a file of its own again (and the files merged into it
/// before follow it again), and the record is forgotten. Answers the cases moved back.
pub fn undo(
    conn: &mut PgConnection,
    u: &CustomerMergeUndoneV1,
    now: DateTime<Utc>,
) -> QueryResult<usize> {
    let (merge, survivor, duplicate) = (u.merge_id, u.survivor_id, u.duplicate_id);
    let first: Option<Merged> = diesel::sql_query(
        "INSERT INTO customer_merges (merge_id, survivor_id, duplicate_id, undone_at) \
         VALUES ($1, $2, $3, $4) \
         ON CONFLICT (merge_id) DO UPDATE SET undone_at = EXCLUDED.undone_at \
         WHERE customer_merges.undone_at IS NULL \
         RETURNING merged_at",
    )
    .bind::<SqlUuid, _>(merge)
    .bind::<SqlUuid, _>(survivor)
    .bind::<SqlUuid, _>(duplicate)
    .bind::<Timestamptz, _>(u.undone_at)
    .get_result(conn)
    .optional()?;
    // Undone before (nothing left to do), or the merge not followed yet (it will do nothing).
    let Some(Merged {
        merged_at: Some(merged_at),
    }) = first
    else {
        return Ok(0);
    };
    let cases: Vec<Id> = diesel::sql_query(
        "UPDATE complaints c SET customer_id = $3, version = c.version + 1, updated_at = $4 \
         WHERE c.customer_id = $2 AND ( \
           c.id IN (SELECT row_id FROM merge_repoints WHERE merge_id = $1 AND entity = 'complaint') \
           OR (c.created_at >= $5 AND c.tracking_number IN ( \
             SELECT s.tracking_number FROM shipment_projection s \
             WHERE s.shipper_customer_id = $3 OR s.shipper_customer_id IN ( \
               SELECT row_id FROM merge_repoints WHERE merge_id = $1 AND entity = 'file')))) \
         RETURNING c.id",
    )
    .bind::<SqlUuid, _>(merge)
    .bind::<SqlUuid, _>(survivor)
    .bind::<SqlUuid, _>(duplicate)
    .bind::<Timestamptz, _>(now)
    .bind::<Timestamptz, _>(merged_at)
    .load(conn)?;
    let case_ids: Vec<Uuid> = cases.into_iter().map(|c| c.id).collect();
    diesel::sql_query(
        "UPDATE claims SET customer_id = $3 WHERE customer_id = $2 AND ( \
           id IN (SELECT row_id FROM merge_repoints WHERE merge_id = $1 AND entity = 'claim') \
           OR complaint_id = ANY($4))",
    )
    .bind::<SqlUuid, _>(merge)
    .bind::<SqlUuid, _>(survivor)
    .bind::<SqlUuid, _>(duplicate)
    .bind::<Array<SqlUuid>, _>(&case_ids)
    .execute(conn)?;
    PHONES.unmerge(conn, duplicate)?;
    diesel::sql_query(
        "UPDATE customer_projection SET merged_into = $3 \
         WHERE merged_into = $2 AND customer_id IN ( \
           SELECT row_id FROM merge_repoints WHERE merge_id = $1 AND entity = 'file')",
    )
    .bind::<SqlUuid, _>(merge)
    .bind::<SqlUuid, _>(survivor)
    .bind::<SqlUuid, _>(duplicate)
    .execute(conn)?;
    diesel::sql_query("DELETE FROM merge_repoints WHERE merge_id = $1")
        .bind::<SqlUuid, _>(merge)
        .execute(conn)?;
    Ok(case_ids.len())
}
