//! Erasure (PIPL/GDPR): PII goes, aggregates (stats buckets, tier, stage) stay.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Array, Bytea, Text, Timestamptz, Uuid as SqlUuid};
use uuid::Uuid;

use super::schema::{customer_identities, customers};

/// What was erased: the blind indexes of the phones and emails, for other services.
pub struct Erased {
    pub phone_hashes: Vec<String>,
    pub email_hashes: Vec<String>,
}

/// Erases customer `id` and every duplicate merged into it (their open follow-ups are
/// cancelled); `empty_contacts` is the sealed empty contact set.
pub fn erase(
    conn: &mut PgConnection,
    id: Uuid,
    empty_contacts: &[u8],
    now: DateTime<Utc>,
) -> QueryResult<Erased> {
    let mut ids: Vec<Uuid> = customers::table
        .filter(customers::merged_into.eq(id))
        .select(customers::id)
        .load(conn)?;
    ids.push(id);
    let identities: Vec<(String, String)> = diesel::delete(
        customer_identities::table.filter(customer_identities::customer_id.eq_any(&ids)),
    )
    .returning((customer_identities::kind, customer_identities::digest))
    .get_results(conn)?;
    let of = |kind: &str| {
        let mut v: Vec<String> = identities
            .iter()
            .filter(|(k, _)| k == kind)
            .map(|(_, d)| d.clone())
            .collect();
        v.sort();
        v.dedup();
        v
    };
    diesel::sql_query(
        "UPDATE customers SET name = $2, contacts_sealed = $3, company = NULL, \
           extras_sealed = NULL, birthday_index = NULL, preferences = '{}', tags = '{}', \
           erased_at = $4, updated_at = $4, version = version + 1 \
         WHERE id = ANY($1)",
    )
    .bind::<Array<SqlUuid>, _>(&ids)
    .bind::<Text, _>(ERASED)
    .bind::<Bytea, _>(empty_contacts)
    .bind::<Timestamptz, _>(now)
    .execute(conn)?;
    // Free text written by people may hold anything; text written by rules stays.
    diesel::sql_query("UPDATE interactions SET summary = $2 WHERE customer_id = ANY($1)")
        .bind::<Array<SqlUuid>, _>(&ids)
        .bind::<Text, _>(ERASED)
        .execute(conn)?;
    diesel::sql_query(
        "UPDATE follow_ups SET outcome = CASE WHEN outcome IS NULL THEN NULL ELSE $2 END, \
           reason = CASE WHEN rule IS NULL THEN $2 ELSE reason END, \
           status = CASE WHEN status = 'open' THEN 'cancelled' ELSE status END, \
           closed_at = COALESCE(closed_at, $3), updated_at = $3, version = version + 1 \
         WHERE customer_id = ANY($1)",
    )
    .bind::<Array<SqlUuid>, _>(&ids)
    .bind::<Text, _>(ERASED)
    .bind::<Timestamptz, _>(now)
    .execute(conn)?;
    super::merges::scrub(conn, &ids)?;
    Ok(Erased {
        phone_hashes: of("phone"),
        email_hashes: of("email"),
    })
}

/// What stands in for erased text.
pub const ERASED: &str = "[erased]";
