//! What this service knows of customers (value tier, owner, merchant, the blind indexes of
//! their phones) and what it does when a customer is merged or erased.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt, Nullable, Text, Timestamptz, Uuid as SqlUuid};
use uuid::Uuid;

use super::schema::{claims, complaints, customer_projection, evidence, surveys};

/// The value tier of key accounts (`customer.tier_changed`).
pub const KEY_TIER: &str = "key";
/// What erased text is replaced with.
pub const ERASED: &str = "[erased]";

/// Records a tier, unless a newer one is already known (events may arrive out of order).
pub fn set_tier(
    conn: &mut PgConnection,
    customer: Uuid,
    tier: &str,
    at: DateTime<Utc>,
) -> QueryResult<()> {
    diesel::sql_query(
        "INSERT INTO customer_projection (customer_id, tier, tier_changed_at) VALUES ($1, $2, $3) \
         ON CONFLICT (customer_id) DO UPDATE SET tier = EXCLUDED.tier, tier_changed_at = EXCLUDED.tier_changed_at \
         WHERE customer_projection.tier_changed_at IS NULL OR customer_projection.tier_changed_at <= EXCLUDED.tier_changed_at",
    )
    .bind::<SqlUuid, _>(customer)
    .bind::<Text, _>(tier)
    .bind::<Timestamptz, _>(at)
    .execute(conn)
    .map(drop)
}

/// Records an owner, unless a newer one is already known.
pub fn set_owner(
    conn: &mut PgConnection,
    customer: Uuid,
    owner: Option<Uuid>,
    at: DateTime<Utc>,
) -> QueryResult<()> {
    diesel::sql_query(
        "INSERT INTO customer_projection (customer_id, owner_id, owner_changed_at) VALUES ($1, $2, $3) \
         ON CONFLICT (customer_id) DO UPDATE SET owner_id = EXCLUDED.owner_id, owner_changed_at = EXCLUDED.owner_changed_at \
         WHERE customer_projection.owner_changed_at IS NULL OR customer_projection.owner_changed_at <= EXCLUDED.owner_changed_at",
    )
    .bind::<SqlUuid, _>(customer)
    .bind::<Nullable<SqlUuid>, _>(owner)
    .bind::<Timestamptz, _>(at)
    .execute(conn)
    .map(drop)
}

/// Records the merchant whose account `customer` is (`customer.created`).
pub fn set_merchant(
    conn: &mut PgConnection,
    customer: Uuid,
    merchant: Option<Uuid>,
) -> QueryResult<()> {
    diesel::insert_into(customer_projection::table)
        .values((
            customer_projection::customer_id.eq(customer),
            customer_projection::merchant_id.eq(merchant),
        ))
        .on_conflict(customer_projection::customer_id)
        .do_update()
        .set(customer_projection::merchant_id.eq(merchant))
        .execute(conn)
        .map(drop)
}

/// Whether `customer` is known as an account of `merchant` (a merchant's case may name only
/// its own customers: another tenant's would skew that customer's stats).
pub fn belongs_to(conn: &mut PgConnection, customer: Uuid, merchant: Uuid) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        customer_projection::table
            .filter(customer_projection::customer_id.eq(customer))
            .filter(customer_projection::merchant_id.eq(merchant)),
    ))
    .get_result(conn)
}

/// Records the blind indexes of `customer`'s phones as of its `version`, unless a newer set is
/// known or the customer was erased (events may arrive out of order, an erasure is final).
pub fn set_phones(
    conn: &mut PgConnection,
    customer: Uuid,
    hashes: &[String],
    version: i64,
) -> QueryResult<()> {
    diesel::sql_query(
        "INSERT INTO customer_projection (customer_id, phone_hashes, phones_version) VALUES ($1, $2, $3) \
         ON CONFLICT (customer_id) DO UPDATE SET phone_hashes = EXCLUDED.phone_hashes, phones_version = EXCLUDED.phones_version \
         WHERE customer_projection.erased_at IS NULL \
         AND (customer_projection.phones_version IS NULL OR customer_projection.phones_version <= EXCLUDED.phones_version)",
    )
    .bind::<SqlUuid, _>(customer)
    .bind::<Array<Text>, _>(hashes)
    .bind::<BigInt, _>(version)
    .execute(conn)
    .map(drop)
}

/// The customer files (not erased) holding the phone with blind index `hash`, and those
/// merged into them: an end customer's own files (a duplicate's old parcels still name it).
pub fn ids_by_phone(conn: &mut PgConnection, hash: &str) -> QueryResult<Vec<Uuid>> {
    #[derive(QueryableByName)]
    struct Id {
        #[diesel(sql_type = SqlUuid)]
        customer_id: Uuid,
    }
    let ids: Vec<Id> = diesel::sql_query(
        "SELECT customer_id FROM customer_projection WHERE erased_at IS NULL \
         AND (phone_hashes @> ARRAY[$1] OR merged_into IN (SELECT h.customer_id \
              FROM customer_projection h WHERE h.phone_hashes @> ARRAY[$1] AND h.erased_at IS NULL)) \
         ORDER BY customer_id",
    )
    .bind::<Text, _>(hash)
    .load(conn)?;
    Ok(ids.into_iter().map(|i| i.customer_id).collect())
}

/// The file `customer` lives on: its survivor when it was merged away.
pub fn current_id(conn: &mut PgConnection, customer: Uuid) -> QueryResult<Uuid> {
    Ok(customer_projection::table
        .find(customer)
        .select(customer_projection::merged_into)
        .first::<Option<Uuid>>(conn)
        .optional()?
        .flatten()
        .unwrap_or(customer))
}

/// `customer.merged`, for the phones: the survivor holds the duplicate's too (a merge unites
/// phone lists), and the duplicate remembers its survivor so that erasing the survivor forgets
/// them both.
pub fn merge_phones(conn: &mut PgConnection, survivor: Uuid, duplicate: Uuid) -> QueryResult<()> {
    for id in [survivor, duplicate] {
        diesel::insert_into(customer_projection::table)
            .values(customer_projection::customer_id.eq(id))
            .on_conflict_do_nothing()
            .execute(conn)?;
    }
    // Files merged into the duplicate earlier now belong to the survivor too.
    diesel::update(
        customer_projection::table.filter(
            customer_projection::customer_id
                .eq(duplicate)
                .or(customer_projection::merged_into.eq(duplicate)),
        ),
    )
    .set(customer_projection::merged_into.eq(survivor))
    .execute(conn)?;
    diesel::sql_query(
        "UPDATE customer_projection s \
         SET phone_hashes = ARRAY(SELECT DISTINCT h FROM unnest(s.phone_hashes || d.phone_hashes) AS h ORDER BY h) \
         FROM customer_projection d \
         WHERE s.customer_id = $1 AND d.customer_id = $2 AND s.erased_at IS NULL",
    )
    .bind::<SqlUuid, _>(survivor)
    .bind::<SqlUuid, _>(duplicate)
    .execute(conn)?;
    // The survivor was erased already (the events crossed): the duplicate's phones go too.
    diesel::sql_query(
        "UPDATE customer_projection d SET phone_hashes = '{}', erased_at = s.erased_at \
         FROM customer_projection s \
         WHERE d.customer_id = $2 AND s.customer_id = $1 AND s.erased_at IS NOT NULL",
    )
    .bind::<SqlUuid, _>(survivor)
    .bind::<SqlUuid, _>(duplicate)
    .execute(conn)
    .map(drop)
}

/// An undone merge: the former duplicate is a file of its own again.
pub fn unmerge(conn: &mut PgConnection, duplicate: Uuid) -> QueryResult<()> {
    diesel::update(customer_projection::table.find(duplicate))
        .set(customer_projection::merged_into.eq(None::<Uuid>))
        .execute(conn)
        .map(drop)
}

/// `customer.erased`, for the phones: the customer's and those of files merged into it are
/// forgotten, for good (a late `customer.created` or `customer.updated` brings none back).
pub fn forget_phones(
    conn: &mut PgConnection,
    customer: Uuid,
    at: DateTime<Utc>,
) -> QueryResult<()> {
    diesel::insert_into(customer_projection::table)
        .values(customer_projection::customer_id.eq(customer))
        .on_conflict_do_nothing()
        .execute(conn)?;
    diesel::update(
        customer_projection::table.filter(
            customer_projection::customer_id
                .eq(customer)
                .or(customer_projection::merged_into.eq(customer)),
        ),
    )
    .set((
        customer_projection::phone_hashes.eq(Vec::<String>::new()),
        customer_projection::erased_at.eq(at),
    ))
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

/// `customer.merged`: the duplicate's cases and claims now belong to the survivor.
pub fn merge(conn: &mut PgConnection, survivor: Uuid, duplicate: Uuid) -> QueryResult<usize> {
    let cases = diesel::update(complaints::table.filter(complaints::customer_id.eq(duplicate)))
        .set(complaints::customer_id.eq(survivor))
        .execute(conn)?;
    let claims = diesel::update(claims::table.filter(claims::customer_id.eq(duplicate)))
        .set(claims::customer_id.eq(survivor))
        .execute(conn)?;
    Ok(cases + claims)
}

/// `customer.erased`: the words of that customer's cases (descriptions, what the history
/// quoted, evidence descriptions, survey suggestions) are scrubbed; the facts stay.
pub fn erase(
    conn: &mut PgConnection,
    customer: Uuid,
    phone_hashes: &[String],
) -> QueryResult<usize> {
    let ids: Vec<Uuid> = complaints::table
        .filter(
            complaints::customer_id
                .eq(customer)
                .or(complaints::reporter_phone_hash.eq_any(phone_hashes)),
        )
        .select(complaints::id)
        .load(conn)?;
    if ids.is_empty() {
        return Ok(0);
    }
    diesel::update(complaints::table.filter(complaints::id.eq_any(&ids)))
        .set((
            complaints::description.eq(ERASED),
            complaints::reporter_phone_hash.eq(None::<String>),
        ))
        .execute(conn)?;
    diesel::update(evidence::table.filter(evidence::complaint_id.eq_any(&ids)))
        .set(evidence::description.eq(ERASED))
        .execute(conn)?;
    diesel::update(surveys::table.filter(surveys::complaint_id.eq_any(&ids)))
        .set(surveys::suggestion.eq(None::<String>))
        .execute(conn)?;
    // The history is append-only; erasure (PIPL) is the one scrub it allows, said out loud.
    diesel::sql_query("SET LOCAL kuaidi.history_scrub = 'on'").execute(conn)?;
    diesel::sql_query(
        "UPDATE complaint_history SET payload = payload - 'description' - 'text' - 'reply' - 'note' \
         WHERE complaint_id = ANY($1) AND payload ?| ARRAY['description', 'text', 'reply', 'note']",
    )
    .bind::<diesel::sql_types::Array<diesel::sql_types::Uuid>, _>(&ids)
    .execute(conn)?;
    diesel::sql_query("SET LOCAL kuaidi.history_scrub = 'off'").execute(conn)?;
    Ok(ids.len())
}
