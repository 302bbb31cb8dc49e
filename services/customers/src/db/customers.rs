//! The `customers` table and its blind-index identities.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use uuid::Uuid;

use super::schema::{customer_identities, customers};

#[derive(Debug, Clone, Queryable, QueryableByName, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = customers)]
#[diesel(check_for_backend(diesel::pg::Pg))]
#[diesel(treat_none_as_null = true)]
pub struct CustomerRow {
    pub id: Uuid,
    pub kind: String,
    pub name: String,
    pub contacts_sealed: Vec<u8>,
    pub company: Option<serde_json::Value>,
    pub industry: Option<String>,
    pub size: Option<String>,
    pub region_city: Option<String>,
    pub region_province: Option<String>,
    pub city_tier: Option<String>,
    pub lanes: Vec<String>,
    pub preferences: serde_json::Value,
    pub tags: Vec<String>,
    pub owner_id: Option<Uuid>,
    pub merchant_id: Option<Uuid>,
    pub value_tier: String,
    pub lifecycle_stage: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: i32,
    pub extras_sealed: Option<Vec<u8>>,
    pub birthday_index: Option<String>,
    pub consents: serde_json::Value,
    pub rfm_r: Option<i16>,
    pub rfm_f: Option<i16>,
    pub rfm_m: Option<i16>,
    pub rfm_score: Option<i16>,
    pub merged_into: Option<Uuid>,
    pub erased_at: Option<DateTime<Utc>>,
    /// The value tier was set by hand: the classification runs keep it.
    pub value_tier_manual: bool,
}

impl CustomerRow {
    /// An empty row: a prospect in the small tier, version 1.
    pub fn blank(id: Uuid, now: chrono::DateTime<chrono::Utc>) -> CustomerRow {
        CustomerRow {
            id,
            kind: String::new(),
            name: String::new(),
            contacts_sealed: Vec::new(),
            company: None,
            industry: None,
            size: None,
            region_city: None,
            region_province: None,
            city_tier: None,
            lanes: Vec::new(),
            preferences: serde_json::json!({}),
            tags: Vec::new(),
            owner_id: None,
            merchant_id: None,
            value_tier: "small".into(),
            lifecycle_stage: "prospect".into(),
            created_at: now,
            updated_at: now,
            version: 1,
            extras_sealed: None,
            birthday_index: None,
            consents: serde_json::json!({}),
            rfm_r: None,
            rfm_f: None,
            rfm_m: None,
            rfm_score: None,
            merged_into: None,
            erased_at: None,
            value_tier_manual: false,
        }
    }
}

/// `(kind, digest)` of an identity: `phone`, `email` or `credit_code` and its blind index.
pub type Digest = (&'static str, String);

/// Inserts the customer and its identity digests.
pub fn insert(conn: &mut PgConnection, row: &CustomerRow, digests: &[Digest]) -> QueryResult<()> {
    diesel::insert_into(customers::table)
        .values(row)
        .execute(conn)?;
    add_identities(conn, row.id, digests)
}

/// Adds identity digests to customer `id`.
pub fn add_identities(conn: &mut PgConnection, id: Uuid, digests: &[Digest]) -> QueryResult<()> {
    let ids: Vec<_> = digests
        .iter()
        .map(|(kind, digest)| {
            (
                customer_identities::kind.eq(*kind),
                customer_identities::digest.eq(digest),
                customer_identities::customer_id.eq(id),
            )
        })
        .collect();
    diesel::insert_into(customer_identities::table)
        .values(&ids)
        .on_conflict_do_nothing()
        .execute(conn)
        .map(drop)
}

/// Replaces the identities of customer `id` with `digests`.
pub fn replace_identities(
    conn: &mut PgConnection,
    id: Uuid,
    digests: &[Digest],
) -> QueryResult<()> {
    diesel::delete(customer_identities::table.filter(customer_identities::customer_id.eq(id)))
        .execute(conn)?;
    add_identities(conn, id, digests)
}

/// The identities of customer `id` as `(kind, digest)`.
pub fn identities(conn: &mut PgConnection, id: Uuid) -> QueryResult<Vec<(String, String)>> {
    customer_identities::table
        .filter(customer_identities::customer_id.eq(id))
        .select((customer_identities::kind, customer_identities::digest))
        .order((customer_identities::kind, customer_identities::digest))
        .load(conn)
}

/// The blind indexes of customer `id`'s phones (what other services learn from its events).
pub fn phone_hashes(conn: &mut PgConnection, id: Uuid) -> QueryResult<Vec<String>> {
    customer_identities::table
        .filter(customer_identities::customer_id.eq(id))
        .filter(customer_identities::kind.eq("phone"))
        .select(customer_identities::digest)
        .order(customer_identities::digest)
        .load(conn)
}

/// Live customers (not merged away, not erased) holding any of `digests`, with what matched;
/// `except` is left out (a customer matching itself on edit).
pub fn matching(
    conn: &mut PgConnection,
    digests: &[Digest],
    except: Option<Uuid>,
) -> QueryResult<Vec<(Uuid, String)>> {
    let mut found = Vec::new();
    for (kind, digest) in digests {
        let ids: Vec<Uuid> = customer_identities::table
            .inner_join(customers::table)
            .filter(customer_identities::kind.eq(*kind))
            .filter(customer_identities::digest.eq(digest))
            .filter(customers::merged_into.is_null())
            .filter(customers::erased_at.is_null())
            .select(customer_identities::customer_id)
            .load(conn)?;
        found.extend(
            ids.into_iter()
                .filter(|id| Some(*id) != except)
                .map(|id| (id, (*kind).to_owned())),
        );
    }
    found.sort();
    found.dedup();
    Ok(found)
}

/// A customer that is not erased (merged duplicates included).
pub fn find(conn: &mut PgConnection, id: Uuid) -> QueryResult<Option<CustomerRow>> {
    customers::table
        .find(id)
        .filter(customers::erased_at.is_null())
        .select(CustomerRow::as_select())
        .first(conn)
        .optional()
}

/// Any customer row, erased ones included.
pub fn find_any(conn: &mut PgConnection, id: Uuid) -> QueryResult<Option<CustomerRow>> {
    customers::table
        .find(id)
        .select(CustomerRow::as_select())
        .first(conn)
        .optional()
}

/// Any customer row, erased ones included, locked for update.
pub fn lock_any(conn: &mut PgConnection, id: Uuid) -> QueryResult<Option<CustomerRow>> {
    customers::table
        .find(id)
        .select(CustomerRow::as_select())
        .for_update()
        .first(conn)
        .optional()
}

/// Writes every column of `row`.
pub fn save(conn: &mut PgConnection, row: &CustomerRow) -> QueryResult<()> {
    diesel::update(customers::table.find(row.id))
        .set(row)
        .execute(conn)
        .map(drop)
}

/// The live customer holding the phone with this blind index (an end customer's own file).
pub fn by_phone_hash(conn: &mut PgConnection, hash: &str) -> QueryResult<Option<CustomerRow>> {
    customers::table
        .inner_join(customer_identities::table)
        .filter(customer_identities::kind.eq("phone"))
        .filter(customer_identities::digest.eq(hash))
        .filter(customers::merged_into.is_null())
        .filter(customers::erased_at.is_null())
        .select(CustomerRow::as_select())
        .order(customers::created_at)
        .first(conn)
        .optional()
}

/// Whether customer `id` holds the identity `(kind, digest)`.
pub fn holds_identity(
    conn: &mut PgConnection,
    id: Uuid,
    kind: &str,
    digest: &str,
) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        customer_identities::table
            .filter(customer_identities::customer_id.eq(id))
            .filter(customer_identities::kind.eq(kind))
            .filter(customer_identities::digest.eq(digest)),
    ))
    .get_result(conn)
}
