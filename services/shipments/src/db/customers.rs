//! What the service knows of customers, from the customers service's events: the merchant
//! whose account each is — a merchant's shipment may name only its own customers as shipper,
//! another tenant's would skew that customer's stats —, the blind indexes of each one's
//! phones, so an end customer's token finds the parcels that person sent, and each one's
//! preferred contact channel, so a notification goes out where its customer wants it.

use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt, Bool, Nullable, Text, Uuid as SqlUuid};
use kuaidi_shared::events::catalogue::{CustomerCreatedV1, CustomerErasedV1, CustomerUpdatedV1};
use kuaidi_shared::projections::customer_phones::{CustomerPhones, FIRST_VERSION};
use kuaidi_shared::projections::customer_tenants::CustomerTenants;
use std::collections::HashMap;
use uuid::Uuid;

use crate::domain::notification::Addressees;

/// The blind indexes of each customer's phones, kept in `customer_tenants` (the shared
/// projection: versioned, united on merges, forgotten on erasure).
pub const PHONES: CustomerPhones = CustomerPhones::new("customer_tenants");

/// The merchant whose account each customer is, in the same table (the shared projection).
pub const TENANTS: CustomerTenants = CustomerTenants::new("customer_tenants");

/// `customer.created`: the file's first preferred contact channel.
pub fn channel_created(conn: &mut PgConnection, c: &CustomerCreatedV1) -> QueryResult<()> {
    set_channel(
        conn,
        c.customer_id,
        c.contact_channel.as_deref(),
        FIRST_VERSION,
    )
}

/// `customer.updated`: the preferred contact channel as of the update's version.
pub fn channel_updated(conn: &mut PgConnection, u: &CustomerUpdatedV1) -> QueryResult<()> {
    set_channel(conn, u.customer_id, u.contact_channel.as_deref(), u.version)
}

/// Records `customer`'s preferred contact channel as of its `version` (as [`PHONES`] does its
/// phones), unless a newer one is known or the customer was erased.
fn set_channel(
    conn: &mut PgConnection,
    customer: Uuid,
    channel: Option<&str>,
    version: i64,
) -> QueryResult<()> {
    diesel::sql_query(
        "INSERT INTO customer_tenants (customer_id, contact_channel, channel_version) \
         VALUES ($1, $2, $3) \
         ON CONFLICT (customer_id) DO UPDATE \
         SET contact_channel = EXCLUDED.contact_channel, channel_version = EXCLUDED.channel_version \
         WHERE customer_tenants.erased_at IS NULL \
         AND (customer_tenants.channel_version IS NULL \
              OR customer_tenants.channel_version <= EXCLUDED.channel_version)",
    )
    .bind::<SqlUuid, _>(customer)
    .bind::<Nullable<Text>, _>(channel)
    .bind::<BigInt, _>(version)
    .execute(conn)
    .map(drop)
}

/// `customer.erased` (after [`PHONES`] marked the files erased): the customer's channel and
/// those of files merged into it are forgotten; an erased file takes no new one.
pub fn channel_erased(conn: &mut PgConnection, e: &CustomerErasedV1) -> QueryResult<()> {
    diesel::sql_query(
        "UPDATE customer_tenants SET contact_channel = NULL \
         WHERE customer_id = $1 OR merged_into = $1",
    )
    .bind::<SqlUuid, _>(e.customer_id)
    .execute(conn)
    .map(drop)
}

#[derive(QueryableByName)]
struct AddresseesRow {
    #[diesel(sql_type = SqlUuid)]
    shipment_id: Uuid,
    #[diesel(sql_type = Bool)]
    names_shipper: bool,
    #[diesel(sql_type = Nullable<Text>)]
    shipper: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    recipient: Option<String>,
}

/// What is known of the preferences of the customers of `shipments` (one statement): the
/// shipper's file (its survivor when merged away), or, for a shipment naming no shipper, a
/// live file holding the recipient's phone that has a channel (the oldest such file, so the
/// choice is stable) — the recipient's is looked up only then, when the notification is
/// theirs. Erased files have none.
pub fn addressees(
    conn: &mut PgConnection,
    shipments: &[Uuid],
) -> QueryResult<HashMap<Uuid, Addressees>> {
    if shipments.is_empty() {
        return Ok(HashMap::new());
    }
    let rows: Vec<AddresseesRow> = diesel::sql_query(
        "SELECT s.id AS shipment_id, s.shipper_customer_id IS NOT NULL AS names_shipper, \
           (SELECT c.contact_channel FROM customer_tenants c \
             WHERE c.erased_at IS NULL AND c.customer_id = COALESCE( \
               (SELECT m.merged_into FROM customer_tenants m \
                 WHERE m.customer_id = s.shipper_customer_id), \
               s.shipper_customer_id)) AS shipper, \
           (SELECT c.contact_channel FROM customer_tenants c \
             WHERE s.shipper_customer_id IS NULL \
               AND c.phone_hashes @> ARRAY[s.recipient_phone_index] \
               AND c.erased_at IS NULL AND c.merged_into IS NULL \
               AND c.contact_channel IS NOT NULL \
             ORDER BY c.customer_id LIMIT 1) AS recipient \
         FROM shipments s WHERE s.id = ANY($1)",
    )
    .bind::<Array<SqlUuid>, _>(shipments)
    .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|r| {
            let known = Addressees {
                names_shipper: r.names_shipper,
                shipper: r.shipper,
                recipient: r.recipient,
            };
            (r.shipment_id, known)
        })
        .collect())
}
