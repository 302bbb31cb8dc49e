//! What the service knows of customers, from the customers service's events: the merchant
//! whose account each is — a merchant's shipment may name only its own customers as shipper,
//! another tenant's would skew that customer's stats —, the blind indexes of each one's
//! phones, so an end customer's token finds the parcels that person sent, and each one's
//! preferred contact channel, so a notification goes out where its customer wants it.

use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt, Nullable, Text, Uuid as SqlUuid};
use kuaidi_shared::events::catalogue::{CustomerCreatedV1, CustomerErasedV1, CustomerUpdatedV1};
use kuaidi_shared::projections::customer_phones::{CustomerPhones, FIRST_VERSION};
use kuaidi_shared::projections::customer_tenants::CustomerTenants;
use std::collections::HashMap;
use uuid::Uuid;

use crate::domain::notification::{Addressees, File};

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
    #[diesel(sql_type = Nullable<SqlUuid>)]
    shipper_id: Option<Uuid>,
    #[diesel(sql_type = Nullable<Text>)]
    shipper_channel: Option<String>,
    #[diesel(sql_type = Nullable<SqlUuid>)]
    recipient_id: Option<Uuid>,
    #[diesel(sql_type = Nullable<Text>)]
    recipient_channel: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    phone_hash: Option<String>,
}

/// Who the notifications about `shipments` are for (one statement, a row per shipment): the
/// shipper's file when the shipment names one (its survivor when merged away) with its
/// channel, and a live file holding the recipient's phone — one with a preferred channel
/// first, then the oldest, so the choice is stable — with its channel, and the recipient's
/// phone index (none once erased). Erased files have no channel.
pub fn addressees(
    conn: &mut PgConnection,
    shipments: &[Uuid],
) -> QueryResult<HashMap<Uuid, Addressees>> {
    if shipments.is_empty() {
        return Ok(HashMap::new());
    }
    let rows: Vec<AddresseesRow> = diesel::sql_query(
        "SELECT s.id AS shipment_id, sh.id AS shipper_id, \
           (SELECT c.contact_channel FROM customer_tenants c \
             WHERE c.customer_id = sh.id AND c.erased_at IS NULL) AS shipper_channel, \
           r.customer_id AS recipient_id, r.contact_channel AS recipient_channel, \
           NULLIF(s.recipient_phone_index, '') AS phone_hash \
         FROM shipments s \
         CROSS JOIN LATERAL (SELECT COALESCE( \
             (SELECT m.merged_into FROM customer_tenants m \
               WHERE m.customer_id = s.shipper_customer_id), \
             s.shipper_customer_id) AS id) sh \
         LEFT JOIN LATERAL ( \
           SELECT c.customer_id, c.contact_channel FROM customer_tenants c \
           WHERE s.recipient_phone_index <> '' \
             AND c.phone_hashes @> ARRAY[s.recipient_phone_index] \
             AND c.erased_at IS NULL AND c.merged_into IS NULL \
           ORDER BY c.contact_channel IS NULL, c.customer_id LIMIT 1) r ON TRUE \
         WHERE s.id = ANY($1)",
    )
    .bind::<Array<SqlUuid>, _>(shipments)
    .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|r| {
            let known = Addressees {
                shipper: r.shipper_id.map(|customer_id| File {
                    customer_id,
                    preference: r.shipper_channel,
                }),
                recipient: r.recipient_id.map(|customer_id| File {
                    customer_id,
                    preference: r.recipient_channel,
                }),
                recipient_phone_hash: r.phone_hash,
            };
            (r.shipment_id, known)
        })
        .collect())
}
