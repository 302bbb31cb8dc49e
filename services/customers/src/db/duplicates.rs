//! Candidate duplicate pairs: live customers sharing a phone, email or credit code (blind
//! index), or the same folded name and kind.

use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt, Text, Uuid as SqlUuid};
use uuid::Uuid;

#[derive(QueryableByName, Debug, Clone)]
pub struct PairRow {
    #[diesel(sql_type = SqlUuid)]
    pub customer_id: Uuid,
    #[diesel(sql_type = SqlUuid)]
    pub duplicate_id: Uuid,
    #[diesel(sql_type = Array<Text>)]
    pub matched_on: Vec<String>,
}

/// A page of pairs (`limit + 1` rows), the older customer first in each pair.
pub fn pairs(conn: &mut PgConnection, offset: i64, limit: i64) -> QueryResult<Vec<PairRow>> {
    diesel::sql_query(
        "WITH pairs AS ( \
           SELECT a.customer_id AS x, b.customer_id AS y, a.kind AS k \
           FROM customer_identities a JOIN customer_identities b \
             ON a.kind = b.kind AND a.digest = b.digest AND a.customer_id < b.customer_id \
           UNION ALL \
           SELECT a.id, b.id, 'name' FROM customers a JOIN customers b \
             ON a.search_name = b.search_name AND a.kind = b.kind AND a.id < b.id \
           WHERE a.merged_into IS NULL AND a.erased_at IS NULL \
             AND b.merged_into IS NULL AND b.erased_at IS NULL) \
         SELECT p.x AS customer_id, p.y AS duplicate_id, \
                array_agg(DISTINCT p.k ORDER BY p.k) AS matched_on \
         FROM pairs p JOIN customers cx ON cx.id = p.x JOIN customers cy ON cy.id = p.y \
         WHERE cx.merged_into IS NULL AND cx.erased_at IS NULL \
           AND cy.merged_into IS NULL AND cy.erased_at IS NULL \
         GROUP BY p.x, p.y ORDER BY p.x, p.y OFFSET $1 LIMIT $2",
    )
    .bind::<BigInt, _>(offset)
    .bind::<BigInt, _>(limit + 1)
    .load(conn)
}
