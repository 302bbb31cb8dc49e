//! What a customer merge moved in one service, kept so that `customer.merge_undone` moves back
//! exactly that (SPEC §4: a merge can be undone): the bookkeeping every service that re-points
//! rows on `customer.merged` does alike, beside its [`super::customer_phones`] projection.
//!
//! Each such service creates, in its own migration, these two tables (the `CHECK` lists the
//! service's own [`Repointed`] entities — complaints' here — and `'file'`):
//!
//! ```sql
//! CREATE TABLE customer_merges (   -- the merges followed here, and when one was undone
//!     merge_id     UUID PRIMARY KEY,
//!     survivor_id  UUID NOT NULL,
//!     duplicate_id UUID NOT NULL,
//!     merged_at    TIMESTAMPTZ,      -- NULL: the undo came first
//!     undone_at    TIMESTAMPTZ
//! );
//!
//! CREATE TABLE merge_repoints (    -- the rows a merge moved from the duplicate to the survivor
//!     merge_id UUID NOT NULL,
//!     entity   TEXT NOT NULL CHECK (entity IN ('complaint', 'claim', 'file')),
//!     row_id   UUID NOT NULL,
//!     PRIMARY KEY (merge_id, entity, row_id)
//! );
//! ```
//!
//! Semantics: on `customer.merged`, before anything moves, [`CustomerMerges::remember`] records
//! the merge and the rows it is about to move — the service's own ([`Repointed`]) and the files
//! merged into the duplicate before (`'file'`: their `merged_into` is about to name the
//! survivor). On `customer.merge_undone`, [`CustomerMerges::undo`] marks the merge undone, lets
//! the service move its rows back (reading `merge_repoints` of the merge), makes the duplicate a
//! file of its own again with those files merged into it once more, and forgets the rows. An
//! undo handled before its merge (a retried delivery) is remembered, so the late merge moves
//! nothing; a second undo does nothing.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Nullable, Timestamptz, Uuid as SqlUuid};

use super::customer_phones::CustomerPhones;
use crate::events::catalogue::{CustomerMergeUndoneV1, CustomerMergedV1};

/// One kind of a service's rows a merge moves: those of `table` (by its `id`) whose `column`
/// names the duplicate, recorded as `entity` in `merge_repoints`. All fixed names of the
/// service's schema, never input.
#[derive(Debug, Clone, Copy)]
pub struct Repointed {
    pub entity: &'static str,
    pub table: &'static str,
    pub column: &'static str,
}

/// The merge bookkeeping of one service: its phone projection and what a merge moves there.
#[derive(Debug, Clone, Copy)]
pub struct CustomerMerges {
    phones: CustomerPhones,
    moves: &'static [Repointed],
}

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

impl CustomerMerges {
    /// The bookkeeping of the service whose phone projection is `phones` and whose rows of
    /// `moves` a merge re-points.
    pub const fn new(phones: CustomerPhones, moves: &'static [Repointed]) -> Self {
        Self { phones, moves }
    }

    /// `customer.merged`, before the rows move: remembers the merge and records what it is
    /// about to move (the service's rows, and the files merged into the duplicate). `false` when
    /// the merge was undone already (nothing is to move).
    pub fn remember(&self, conn: &mut PgConnection, m: &CustomerMergedV1) -> QueryResult<bool> {
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
        let t = self.phones.table();
        let selects: String = self
            .moves
            .iter()
            .map(|r| {
                let Repointed {
                    entity,
                    table,
                    column,
                } = r;
                format!("SELECT $1, '{entity}', id FROM {table} WHERE {column} = $2 UNION ALL ")
            })
            .collect();
        diesel::sql_query(format!(
            "INSERT INTO merge_repoints (merge_id, entity, row_id) {selects}\
             SELECT $1, 'file', customer_id FROM {t} WHERE merged_into = $2 \
             ON CONFLICT DO NOTHING"
        ))
        .bind::<SqlUuid, _>(m.merge_id)
        .bind::<SqlUuid, _>(m.duplicate_id)
        .execute(conn)?;
        Ok(true)
    }

    /// `customer.merge_undone`: marks the merge undone and, when it is the first undo of a
    /// merge followed here, has `move_back` move the service's rows back (given when the merge
    /// was followed), then makes the duplicate a file of its own again (the files merged into
    /// it before follow it again) and forgets the merge's rows. Answers what `move_back` did,
    /// `None` when there was nothing to do.
    pub fn undo<T>(
        &self,
        conn: &mut PgConnection,
        u: &CustomerMergeUndoneV1,
        move_back: impl FnOnce(&mut PgConnection, DateTime<Utc>) -> QueryResult<T>,
    ) -> QueryResult<Option<T>> {
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
            return Ok(None);
        };
        let moved = move_back(conn, merged_at)?;
        self.phones.unmerge(conn, duplicate)?;
        let t = self.phones.table();
        diesel::sql_query(format!(
            "UPDATE {t} SET merged_into = $3 \
             WHERE merged_into = $2 AND customer_id IN ( \
               SELECT row_id FROM merge_repoints WHERE merge_id = $1 AND entity = 'file')"
        ))
        .bind::<SqlUuid, _>(merge)
        .bind::<SqlUuid, _>(survivor)
        .bind::<SqlUuid, _>(duplicate)
        .execute(conn)?;
        diesel::sql_query("DELETE FROM merge_repoints WHERE merge_id = $1")
            .bind::<SqlUuid, _>(merge)
            .execute(conn)?;
        Ok(Some(moved))
    }
}
