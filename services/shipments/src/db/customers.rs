//! What the service knows of customers, from the customers service's events: the merchant
//! whose account each is — a merchant's shipment may name only its own customers as shipper,
//! another tenant's would skew that customer's stats — and the blind indexes of each one's
//! phones, so an end customer's token finds the parcels that person sent.

use diesel::prelude::*;
use kuaidi_shared::projections::customer_phones::CustomerPhones;
use uuid::Uuid;

use super::schema::customer_tenants;

/// The blind indexes of each customer's phones, kept in `customer_tenants` (the shared
/// projection: versioned, united on merges, forgotten on erasure).
pub const PHONES: CustomerPhones = CustomerPhones::new("customer_tenants");

/// Records the merchant whose account `customer` is (`None`: the company's own customer).
pub fn set_merchant(
    conn: &mut PgConnection,
    customer: Uuid,
    merchant: Option<Uuid>,
) -> QueryResult<()> {
    diesel::insert_into(customer_tenants::table)
        .values((
            customer_tenants::customer_id.eq(customer),
            customer_tenants::merchant_id.eq(merchant),
        ))
        .on_conflict(customer_tenants::customer_id)
        .do_update()
        .set(customer_tenants::merchant_id.eq(merchant))
        .execute(conn)
        .map(drop)
}

/// Whether `customer` is known as an account of `merchant`.
pub fn belongs_to(conn: &mut PgConnection, customer: Uuid, merchant: Uuid) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        customer_tenants::table
            .filter(customer_tenants::customer_id.eq(customer))
            .filter(customer_tenants::merchant_id.eq(merchant)),
    ))
    .get_result(conn)
}
