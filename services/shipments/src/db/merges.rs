//! What a customer merge moved here, kept so that its undo moves back exactly that (SPEC §4: a
//! merge can be undone), in the shared bookkeeping ([`CustomerMerges`]: tables
//! `customer_merges` and `merge_repoints`). On `customer.merged` the shipments the duplicate
//! sent are recorded before they move (the shared part records the files merged into the
//! duplicate before); on `customer.merge_undone` those still on the survivor go back to the
//! duplicate, and the duplicate is a file of its own again (notifications about its parcels
//! find it, not the survivor). The survivor's own shipments stay. A shipment created while the
//! merge stood keeps the shipper it named (nothing redirects it), so it has nothing to move
//! back.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Timestamptz, Uuid as SqlUuid};
use kuaidi_shared::events::catalogue::CustomerMergeUndoneV1;
use kuaidi_shared::projections::customer_merges::{CustomerMerges, Repointed};

use super::customers::PHONES;

/// The merges followed here, beside the phone projection: `remember` them on
/// `customer.merged` before the shipments move (`false`: undone already, nothing is to move).
pub const MERGES: CustomerMerges = CustomerMerges::new(PHONES, MOVES);

/// The rows a merge moves here: the shipments the duplicate sent.
const MOVES: &[Repointed] = &[Repointed {
    entity: "shipment",
    table: "shipments",
    column: "shipper_customer_id",
}];

/// `customer.merge_undone`: the shipments the merge moved name the duplicate again (each a new
/// version as of `now`), the duplicate is a file of its own again (and the files merged into it
/// before follow it again), and the record is forgotten. Answers the shipments moved back.
pub fn undo(
    conn: &mut PgConnection,
    u: &CustomerMergeUndoneV1,
    now: DateTime<Utc>,
) -> QueryResult<usize> {
    let moved = MERGES.undo(conn, u, |conn, _merged_at| {
        diesel::sql_query(
            "UPDATE shipments SET shipper_customer_id = $3, version = version + 1, updated_at = $4 \
             WHERE shipper_customer_id = $2 AND id IN ( \
               SELECT row_id FROM merge_repoints WHERE merge_id = $1 AND entity = 'shipment')",
        )
        .bind::<SqlUuid, _>(u.merge_id)
        .bind::<SqlUuid, _>(u.survivor_id)
        .bind::<SqlUuid, _>(u.duplicate_id)
        .bind::<Timestamptz, _>(now)
        .execute(conn)
    })?;
    Ok(moved.unwrap_or(0))
}
