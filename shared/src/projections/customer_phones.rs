//! Which customer files are whose: the blind indexes of each customer's phones (never the
//! phones), learnt from the customers service's events, so that an end customer's token
//! (`phone_hash`) finds the files, and so the parcels, that person sent (SPEC §3 "sent to or
//! by the customer").
//!
//! Each consuming service keeps them in a table of its own (named by [`CustomerPhones::new`]),
//! created by its own migration with at least these columns — any other column must be
//! nullable or defaulted, as rows are opened with the customer id alone:
//!
//! ```sql
//! customer_id    UUID PRIMARY KEY,
//! phone_hashes   TEXT[] NOT NULL DEFAULT '{}',  -- GIN-indexed
//! phones_version BIGINT,       -- orders out-of-order `customer.updated`
//! merged_into    UUID,         -- the survivor of a merge, so erasing it reaches the duplicate
//! erased_at      TIMESTAMPTZ   -- an erasure is final
//! ```
//!
//! Semantics: a newer phone set wins over a late older one; a merge unites the phones (and
//! files merged into the duplicate follow it to the survivor); an undone merge parts the files
//! again (which files a merge moved, [`super::customer_merges`] records); an erasure forgets
//! the phones of the file and of those merged into it for good — a late `customer.created` or
//! `customer.updated` brings none back.

use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt, Text, Timestamptz, Uuid as SqlUuid};
use uuid::Uuid;

use crate::events::catalogue::{
    CustomerCreatedV1, CustomerErasedV1, CustomerMergedV1, CustomerUpdatedV1,
};

/// The version of a new customer file (`customer.created` carries none).
pub const FIRST_VERSION: i64 = 1;

/// What `customer.updated` names among `changed` when a merge was undone.
pub const MERGE_UNDONE: &str = "merge_undone";

/// The phone projection in one service's table.
#[derive(Debug, Clone, Copy)]
pub struct CustomerPhones {
    table: &'static str,
}

#[derive(QueryableByName)]
struct Id {
    #[diesel(sql_type = SqlUuid)]
    customer_id: Uuid,
}

impl CustomerPhones {
    /// The projection kept in `table` (a fixed name of the service's schema, never input).
    pub const fn new(table: &'static str) -> Self {
        Self { table }
    }

    /// The service's table (for [`super::customer_merges`], which re-points its files).
    pub(super) const fn table(&self) -> &'static str {
        self.table
    }

    /// `customer.created`: the file's first phones.
    pub fn created(&self, conn: &mut PgConnection, c: &CustomerCreatedV1) -> QueryResult<()> {
        self.set(conn, c.customer_id, &c.phone_hashes, FIRST_VERSION)
    }

    /// `customer.updated`: an undone merge, and the phones as of the update's version when the
    /// event says them.
    pub fn updated(&self, conn: &mut PgConnection, u: &CustomerUpdatedV1) -> QueryResult<()> {
        if u.changed.iter().any(|c| c == MERGE_UNDONE) {
            self.unmerge(conn, u.customer_id)?;
        }
        match &u.phone_hashes {
            Some(hashes) => self.set(conn, u.customer_id, hashes, u.version),
            None => Ok(()),
        }
    }

    /// `customer.merged`: the survivor holds the duplicate's phones too, and the duplicate
    /// (with every file merged into it before) remembers its survivor, so that erasing the
    /// survivor forgets them all.
    pub fn merged(&self, conn: &mut PgConnection, m: &CustomerMergedV1) -> QueryResult<()> {
        let t = self.table;
        let (survivor, duplicate) = (m.survivor_id, m.duplicate_id);
        diesel::sql_query(format!(
            "INSERT INTO {t} (customer_id) VALUES ($1), ($2) ON CONFLICT DO NOTHING"
        ))
        .bind::<SqlUuid, _>(survivor)
        .bind::<SqlUuid, _>(duplicate)
        .execute(conn)?;
        diesel::sql_query(format!(
            "UPDATE {t} SET merged_into = $1 WHERE customer_id = $2 OR merged_into = $2"
        ))
        .bind::<SqlUuid, _>(survivor)
        .bind::<SqlUuid, _>(duplicate)
        .execute(conn)?;
        diesel::sql_query(format!(
            "UPDATE {t} s \
             SET phone_hashes = ARRAY(SELECT DISTINCT h FROM unnest(s.phone_hashes || d.phone_hashes) AS h ORDER BY h) \
             FROM {t} d \
             WHERE s.customer_id = $1 AND d.customer_id = $2 AND s.erased_at IS NULL"
        ))
        .bind::<SqlUuid, _>(survivor)
        .bind::<SqlUuid, _>(duplicate)
        .execute(conn)?;
        // The survivor was erased already (the events crossed): the duplicate's phones go too.
        diesel::sql_query(format!(
            "UPDATE {t} d SET phone_hashes = '{{}}', erased_at = s.erased_at \
             FROM {t} s \
             WHERE d.customer_id = $2 AND s.customer_id = $1 AND s.erased_at IS NOT NULL"
        ))
        .bind::<SqlUuid, _>(survivor)
        .bind::<SqlUuid, _>(duplicate)
        .execute(conn)
        .map(drop)
    }

    /// `customer.erased`: the customer's phones and those of files merged into it are
    /// forgotten, for good.
    pub fn erased(&self, conn: &mut PgConnection, e: &CustomerErasedV1) -> QueryResult<()> {
        let t = self.table;
        diesel::sql_query(format!(
            "INSERT INTO {t} (customer_id) VALUES ($1) ON CONFLICT DO NOTHING"
        ))
        .bind::<SqlUuid, _>(e.customer_id)
        .execute(conn)?;
        diesel::sql_query(format!(
            "UPDATE {t} SET phone_hashes = '{{}}', erased_at = $2 \
             WHERE customer_id = $1 OR merged_into = $1"
        ))
        .bind::<SqlUuid, _>(e.customer_id)
        .bind::<Timestamptz, _>(e.erased_at)
        .execute(conn)
        .map(drop)
    }

    /// Records the blind indexes of `customer`'s phones as of its `version`, unless a newer
    /// set is known or the customer was erased.
    pub fn set(
        &self,
        conn: &mut PgConnection,
        customer: Uuid,
        hashes: &[String],
        version: i64,
    ) -> QueryResult<()> {
        let t = self.table;
        diesel::sql_query(format!(
            "INSERT INTO {t} (customer_id, phone_hashes, phones_version) VALUES ($1, $2, $3) \
             ON CONFLICT (customer_id) DO UPDATE \
             SET phone_hashes = EXCLUDED.phone_hashes, phones_version = EXCLUDED.phones_version \
             WHERE {t}.erased_at IS NULL \
             AND ({t}.phones_version IS NULL OR {t}.phones_version <= EXCLUDED.phones_version)"
        ))
        .bind::<SqlUuid, _>(customer)
        .bind::<Array<Text>, _>(hashes)
        .bind::<BigInt, _>(version)
        .execute(conn)
        .map(drop)
    }

    /// An undone merge: the former duplicate is a file of its own again.
    pub fn unmerge(&self, conn: &mut PgConnection, duplicate: Uuid) -> QueryResult<()> {
        let t = self.table;
        diesel::sql_query(format!(
            "UPDATE {t} SET merged_into = NULL WHERE customer_id = $1"
        ))
        .bind::<SqlUuid, _>(duplicate)
        .execute(conn)
        .map(drop)
    }

    /// The customer files (not erased) holding the phone with blind index `hash`, and those
    /// merged into them: an end customer's own files (a duplicate's old records may still name
    /// it).
    pub fn ids_by_phone(&self, conn: &mut PgConnection, hash: &str) -> QueryResult<Vec<Uuid>> {
        let t = self.table;
        let ids: Vec<Id> = diesel::sql_query(format!(
            "SELECT customer_id FROM {t} WHERE erased_at IS NULL \
             AND (phone_hashes @> ARRAY[$1] OR merged_into IN (SELECT h.customer_id \
                  FROM {t} h WHERE h.phone_hashes @> ARRAY[$1] AND h.erased_at IS NULL)) \
             ORDER BY customer_id"
        ))
        .bind::<Text, _>(hash)
        .load(conn)?;
        Ok(ids.into_iter().map(|i| i.customer_id).collect())
    }

    /// The file `customer` lives on: its survivor when it was merged away.
    pub fn current_id(&self, conn: &mut PgConnection, customer: Uuid) -> QueryResult<Uuid> {
        #[derive(QueryableByName)]
        struct Survivor {
            #[diesel(sql_type = diesel::sql_types::Nullable<SqlUuid>)]
            merged_into: Option<Uuid>,
        }
        let t = self.table;
        let found: Option<Survivor> = diesel::sql_query(format!(
            "SELECT merged_into FROM {t} WHERE customer_id = $1"
        ))
        .bind::<SqlUuid, _>(customer)
        .get_result(conn)
        .optional()?;
        Ok(found.and_then(|s| s.merged_into).unwrap_or(customer))
    }
}
