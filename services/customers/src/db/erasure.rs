//! Erasure (PIPL/GDPR): PII goes, aggregates (stats buckets, tier, stage) stay, and every
//! consent granted is withdrawn: an erased person is contacted no more.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Array, Bytea, Text, Timestamptz, Uuid as SqlUuid};
use kuaidi_shared::clock::new_id;
use std::collections::BTreeMap;
use uuid::Uuid;

use super::consents::{self, ConsentRow};
use super::schema::{customer_identities, customers};
use crate::domain::profile::ConsentState;

/// What was erased: the blind indexes of the phones and emails, for other services.
pub struct Erased {
    pub phone_hashes: Vec<String>,
    pub email_hashes: Vec<String>,
}

/// Erases customer `id` and every duplicate merged into it (their open follow-ups are
/// cancelled, their granted consents withdrawn by `actor`); `empty_contacts` is the sealed
/// empty contact set.
pub fn erase(
    conn: &mut PgConnection,
    id: Uuid,
    empty_contacts: &[u8],
    actor: &str,
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
    withdraw_consents(conn, &ids, actor, now)?;
    Ok(Erased {
        phone_hashes: of("phone"),
        email_hashes: of("email"),
    })
}

/// What stands in for erased text.
pub const ERASED: &str = "[erased]";

/// The source of the withdrawals an erasure records.
pub const ERASURE: &str = "erasure";

/// Withdraws every purpose granted on the files `ids`, each withdrawal recorded in the consent
/// history as any other (source [`ERASURE`], by `actor`, at `now`); purposes not granted stay as
/// they are. Announced by nothing but `customer.erased`.
fn withdraw_consents(
    conn: &mut PgConnection,
    ids: &[Uuid],
    actor: &str,
    now: DateTime<Utc>,
) -> QueryResult<()> {
    let files: Vec<(Uuid, serde_json::Value)> = customers::table
        .filter(customers::id.eq_any(ids))
        .select((customers::id, customers::consents))
        .order(customers::id)
        .load(conn)?;
    let mut history = Vec::new();
    for (id, stored) in files {
        let mut current: BTreeMap<String, ConsentState> =
            serde_json::from_value(stored).unwrap_or_default();
        let before = history.len();
        for (purpose, consent) in current.iter_mut().filter(|(_, c)| c.granted) {
            *consent = ConsentState {
                granted: false,
                source: ERASURE.into(),
                at: now,
            };
            history.push(ConsentRow {
                id: new_id(),
                customer_id: id,
                purpose: purpose.clone(),
                granted: false,
                source: ERASURE.into(),
                recorded_at: now,
                actor: Some(actor.to_owned()),
            });
        }
        if history.len() > before {
            let current = serde_json::to_value(&current)
                .map_err(|e| diesel::result::Error::SerializationError(Box::new(e)))?;
            diesel::update(customers::table.find(id))
                .set(customers::consents.eq(current))
                .execute(conn)?;
        }
    }
    consents::record(conn, &history)
}
