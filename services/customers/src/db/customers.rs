//! The `customers` table and its blind-index identities.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use uuid::Uuid;

use super::schema::{customer_identities, customers};

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = customers)]
#[diesel(check_for_backend(diesel::pg::Pg))]
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
}

/// Inserts the customer and its identity digests.
pub fn insert(
    conn: &mut PgConnection,
    row: &CustomerRow,
    digests: &[(&str, String)],
) -> QueryResult<()> {
    diesel::insert_into(customers::table)
        .values(row)
        .execute(conn)?;
    let ids: Vec<_> = digests
        .iter()
        .map(|(kind, digest)| {
            (
                customer_identities::kind.eq(*kind),
                customer_identities::digest.eq(digest),
                customer_identities::customer_id.eq(row.id),
            )
        })
        .collect();
    diesel::insert_into(customer_identities::table)
        .values(&ids)
        .on_conflict_do_nothing()
        .execute(conn)?;
    Ok(())
}

/// Customers already holding any of `digests`, with what matched.
pub fn matching(
    conn: &mut PgConnection,
    digests: &[(&str, String)],
) -> QueryResult<Vec<(Uuid, String)>> {
    let mut found = Vec::new();
    for (kind, digest) in digests {
        let ids: Vec<Uuid> = customer_identities::table
            .filter(customer_identities::kind.eq(*kind))
            .filter(customer_identities::digest.eq(digest))
            .select(customer_identities::customer_id)
            .load(conn)?;
        found.extend(ids.into_iter().map(|id| (id, (*kind).to_owned())));
    }
    found.sort();
    found.dedup();
    Ok(found)
}

pub fn find(conn: &mut PgConnection, id: Uuid) -> QueryResult<Option<CustomerRow>> {
    customers::table
        .find(id)
        .select(CustomerRow::as_select())
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
