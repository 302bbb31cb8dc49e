//! What the service knows of customers: the merchant whose account each is, from the customers
//! service's events. A merchant's shipment may name only its own customers as shipper —
//! another tenant's would skew that customer's stats.

use diesel::prelude::*;
use uuid::Uuid;

use super::schema::customer_tenants;

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
