//! What a customer merge moved here, kept so that its undo moves back exactly that (SPEC §4: a
//! merge can be undone), in the shared bookkeeping ([`CustomerMerges`]: tables
//! `customer_merges` and `merge_repoints`). On `customer.merged` the duplicate's cases and
//! claims are recorded before they move (the shared part records the files merged into the
//! duplicate before); on `customer.merge_undone` those still on the survivor go back to the
//! duplicate, and so do the cases opened while the merge stood on a parcel the duplicate (or a
//! file merged into it) sent: intake files a case naming no customer on the shipper's survivor
//! (`PHONES.current_id`), but the parcel named the duplicate — as does a case filed on the
//! survivor by hand on such a parcel then. A claim goes back with its case. The survivor's own
//! cases stay.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Array, Timestamptz, Uuid as SqlUuid};
use kuaidi_shared::events::catalogue::CustomerMergeUndoneV1;
use kuaidi_shared::projections::customer_merges::{CustomerMerges, Repointed};
use uuid::Uuid;

use super::customers::PHONES;

/// The merges followed here, beside the phone projection: `remember` them on
/// `customer.merged` before the rows move (`false`: undone already, nothing is to move).
pub const MERGES: CustomerMerges = CustomerMerges::new(PHONES, MOVES);

/// The rows a merge moves here: the duplicate's cases and claims.
const MOVES: &[Repointed] = &[
    Repointed {
        entity: "complaint",
        table: "complaints",
        column: "customer_id",
    },
    Repointed {
        entity: "claim",
        table: "claims",
        column: "customer_id",
    },
];

#[derive(QueryableByName)]
struct Id {
    #[diesel(sql_type = SqlUuid)]
    id: Uuid,
}

/// `customer.merge_undone`: what the merge moved goes back to the duplicate (each case a new
/// version as of `now`), the duplicate is a file of its own again (and the files merged into it
/// before follow it again), and the record is forgotten. Answers the cases moved back.
pub fn undo(
    conn: &mut PgConnection,
    u: &CustomerMergeUndoneV1,
    now: DateTime<Utc>,
) -> QueryResult<usize> {
    let moved = MERGES.undo(conn, u, |conn, merged_at| {
        move_back(conn, u, now, merged_at)
    })?;
    Ok(moved.unwrap_or(0))
}

/// The cases and claims of an undone merge (and the cases filed while it stood on the
/// duplicate's parcels) back to the duplicate; the number of cases.
fn move_back(
    conn: &mut PgConnection,
    u: &CustomerMergeUndoneV1,
    now: DateTime<Utc>,
    merged_at: DateTime<Utc>,
) -> QueryResult<usize> {
    let (merge, survivor, duplicate) = (u.merge_id, u.survivor_id, u.duplicate_id);
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
    Ok(case_ids.len())
}
