//! What this service knows of customers (value tier, owner, merchant, the blind indexes of
//! their phones) and what it does when a customer is merged or erased.

use chrono::{DateTime, Utc};
use diesel::pg::Pg;
use diesel::prelude::*;
use diesel::query_builder::QueryId;
use diesel::serialize::ToSql;
use diesel::sql_types::HasSqlType;
use diesel::sql_types::{Array, Nullable, Text, Timestamptz, Uuid as SqlUuid};
use kuaidi_shared::projections::customer_phones::CustomerPhones;
use kuaidi_shared::projections::customer_tenants::CustomerTenants;
use uuid::Uuid;

use super::schema::{claims, complaints, customer_projection, evidence, surveys};

/// The value tier of key accounts (`customer.tier_changed`).
pub const KEY_TIER: &str = "key";
/// What erased text is replaced with.
pub const ERASED: &str = "[erased]";
/// The free texts an action's body may hold, as the history records it: a case's description
/// (`duplicate_received`), a comment's text, a triage's note and reply, a proposal's plan and
/// investigation report, a reason (approve, reject, reopen, escalate), a resolution.
const HISTORY_TEXTS: [&str; 8] = [
    "description",
    "text",
    "reply",
    "note",
    "plan",
    "report",
    "reason",
    "resolution",
];
/// A proposal as erasure leaves it: its measures and compensation, its plan and the parts of
/// its investigation report (all four required when a report is given) erased.
const SCRUBBED_PROPOSAL: &str = "jsonb_strip_nulls(jsonb_build_object(\
    'measures', proposal->'measures', 'compensation', proposal->'compensation', \
    'plan', '[erased]', 'report', CASE WHEN proposal ? 'report' THEN jsonb_build_object(\
    'content', '[erased]', 'process', '[erased]', 'evidence_analysis', '[erased]', \
    'conclusion', '[erased]') END))";
/// The blind indexes of each customer's phones, kept in `customer_projection` (the shared
/// projection: versioned, united on merges, forgotten on erasure).
pub const PHONES: CustomerPhones = CustomerPhones::new("customer_projection");

/// The merchant whose account each customer is, in the same table (the shared projection).
pub const TENANTS: CustomerTenants = CustomerTenants::new("customer_projection");

/// Records a tier, unless a newer one is already known (events may arrive out of order).
pub fn set_tier(
    conn: &mut PgConnection,
    customer: Uuid,
    tier: &str,
    at: DateTime<Utc>,
) -> QueryResult<()> {
    set_latest::<Text, _>(conn, ["tier", "tier_changed_at"], customer, tier, at)
}

/// Records an owner, unless a newer one is already known.
pub fn set_owner(
    conn: &mut PgConnection,
    customer: Uuid,
    owner: Option<Uuid>,
    at: DateTime<Utc>,
) -> QueryResult<()> {
    let columns = ["owner_id", "owner_changed_at"];
    set_latest::<Nullable<SqlUuid>, _>(conn, columns, customer, owner, at)
}

/// Writes a `column` of a customer as of `at`, unless its `stamp` column says a newer value is
/// already known.
fn set_latest<ST, V>(
    conn: &mut PgConnection,
    [column, stamp]: [&'static str; 2],
    customer: Uuid,
    value: V,
    at: DateTime<Utc>,
) -> QueryResult<()>
where
    ST: QueryId,
    Pg: HasSqlType<ST>,
    V: ToSql<ST, Pg>,
{
    diesel::sql_query(format!(
        "INSERT INTO customer_projection (customer_id, {column}, {stamp}) VALUES ($1, $2, $3) \
         ON CONFLICT (customer_id) DO UPDATE SET {column} = EXCLUDED.{column}, {stamp} = EXCLUDED.{stamp} \
         WHERE customer_projection.{stamp} IS NULL OR customer_projection.{stamp} <= EXCLUDED.{stamp}",
    ))
    .bind::<SqlUuid, _>(customer)
    .bind::<ST, _>(value)
    .bind::<Timestamptz, _>(at)
    .execute(conn)
    .map(drop)
}

pub fn is_key_account(conn: &mut PgConnection, customer: Uuid) -> QueryResult<bool> {
    Ok(customer_projection::table
        .find(customer)
        .select(customer_projection::tier)
        .first::<Option<String>>(conn)
        .optional()?
        .flatten()
        .is_some_and(|t| t == KEY_TIER))
}

pub fn owner_of(conn: &mut PgConnection, customer: Uuid) -> QueryResult<Option<Uuid>> {
    Ok(customer_projection::table
        .find(customer)
        .select(customer_projection::owner_id)
        .first::<Option<Uuid>>(conn)
        .optional()?
        .flatten())
}

/// An end customer's own file: the oldest live file (neither merged away nor erased) holding
/// the phone with blind index `hash`, as the customers service answers a `customer` token
/// (customer ids are UUID v7: the least is the oldest); `None` when no file holds that phone.
pub fn own_file(conn: &mut PgConnection, hash: &str) -> QueryResult<Option<Uuid>> {
    customer_projection::table
        .filter(customer_projection::phone_hashes.contains(vec![hash.to_owned()]))
        .filter(customer_projection::merged_into.is_null())
        .filter(customer_projection::erased_at.is_null())
        .select(customer_projection::customer_id)
        .order(customer_projection::customer_id)
        .first(conn)
        .optional()
}

/// `customer.merged`: the duplicate's cases and claims now belong to the survivor (each a new
/// version as of `now`: what its ETag named has changed).
pub fn merge(
    conn: &mut PgConnection,
    survivor: Uuid,
    duplicate: Uuid,
    now: DateTime<Utc>,
) -> QueryResult<usize> {
    let cases = diesel::update(complaints::table.filter(complaints::customer_id.eq(duplicate)))
        .set((
            complaints::customer_id.eq(survivor),
            complaints::version.eq(complaints::version + 1),
            complaints::updated_at.eq(now),
        ))
        .execute(conn)?;
    let claims = diesel::update(claims::table.filter(claims::customer_id.eq(duplicate)))
        .set(claims::customer_id.eq(survivor))
        .execute(conn)?;
    Ok(cases + claims)
}

/// `customer.erased`: the words of that customer's cases (descriptions, resolutions, the
/// proposal's plan and investigation report — its other keys dropped —, the texts the history
/// quoted, evidence descriptions, survey suggestions, the reasons of their claims) are scrubbed, each case a new version as
/// of `now`; the facts stay (statuses, times, categories, measures, amounts).
pub fn erase(
    conn: &mut PgConnection,
    customer: Uuid,
    phone_hashes: &[String],
    now: DateTime<Utc>,
) -> QueryResult<usize> {
    let ids: Vec<Uuid> = complaints::table
        .filter(
            complaints::customer_id
                .eq(customer)
                .or(complaints::reporter_phone_hash.eq_any(phone_hashes)),
        )
        .select(complaints::id)
        .load(conn)?;
    // A claim's reason (the words of a rejection) may quote the customer: their claims, and
    // those on their cases, whether or not they have a case.
    let claims = diesel::sql_query(
        "UPDATE claims SET reason = $3, version = version + 1, updated_at = $4 \
         WHERE reason IS NOT NULL AND reason <> $3 \
           AND (customer_id = $1 OR complaint_id = ANY($2))",
    )
    .bind::<SqlUuid, _>(customer)
    .bind::<Array<SqlUuid>, _>(&ids)
    .bind::<Text, _>(ERASED)
    .bind::<Timestamptz, _>(now)
    .execute(conn)?;
    if ids.is_empty() {
        return Ok(claims);
    }
    diesel::update(complaints::table.filter(complaints::id.eq_any(&ids)))
        .set((
            complaints::description.eq(ERASED),
            complaints::reporter_phone_hash.eq(None::<String>),
            complaints::version.eq(complaints::version + 1),
            complaints::updated_at.eq(now),
        ))
        .execute(conn)?;
    diesel::update(evidence::table.filter(evidence::complaint_id.eq_any(&ids)))
        .set(evidence::description.eq(ERASED))
        .execute(conn)?;
    diesel::update(surveys::table.filter(surveys::complaint_id.eq_any(&ids)))
        .set(surveys::suggestion.eq(None::<String>))
        .execute(conn)?;
    let resolved = complaints::id
        .eq_any(&ids)
        .and(complaints::resolution.is_not_null());
    diesel::update(complaints::table.filter(resolved))
        .set(complaints::resolution.eq(ERASED))
        .execute(conn)?;
    // The proposal keeps its measures and compensation; its plan and report lose their words.
    let scrub = format!(
        "UPDATE complaints SET proposal = {SCRUBBED_PROPOSAL} \
         WHERE id = ANY($1) AND proposal IS NOT NULL"
    );
    diesel::sql_query(scrub)
        .bind::<Array<SqlUuid>, _>(&ids)
        .execute(conn)?;
    // The history is append-only; erasure (PIPL) is the one scrub it allows, said out loud.
    diesel::sql_query("SET LOCAL kuaidi.history_scrub = 'on'").execute(conn)?;
    diesel::sql_query(
        "UPDATE complaint_history SET payload = payload - $2::text[] \
         WHERE complaint_id = ANY($1) AND payload ?| $2::text[]",
    )
    .bind::<Array<SqlUuid>, _>(&ids)
    .bind::<Array<Text>, _>(&HISTORY_TEXTS[..])
    .execute(conn)?;
    diesel::sql_query("SET LOCAL kuaidi.history_scrub = 'off'").execute(conn)?;
    Ok(ids.len())
}
