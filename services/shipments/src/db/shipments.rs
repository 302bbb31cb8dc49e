//! The `shipments` table.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use uuid::Uuid;

use super::customers;
use super::schema::shipments;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = shipments)]
#[diesel(check_for_backend(diesel::pg::Pg))]
pub struct ShipmentRow {
    pub id: Uuid,
    pub tracking_number: String,
    pub merchant_id: Option<Uuid>,
    pub shipper_customer_id: Option<Uuid>,
    pub recipient_sealed: Vec<u8>,
    pub recipient_phone_index: String,
    pub origin_city: String,
    pub origin_province: Option<String>,
    pub origin_hub_code: Option<String>,
    pub destination_city: String,
    pub destination_province: Option<String>,
    pub destination_hub_code: Option<String>,
    pub service_level: String,
    pub carrier: Option<String>,
    pub lane: Option<String>,
    pub weight_kg: f64,
    pub pieces: i32,
    pub currency: String,
    pub freight_minor: i64,
    pub declared_value_minor: Option<i64>,
    pub cod_amount_minor: Option<i64>,
    pub promised_at: DateTime<Utc>,
    pub estimated_delivery_at: Option<DateTime<Utc>>,
    pub status: String,
    pub substatus: Option<String>,
    pub delivered_at: Option<DateTime<Utc>>,
    pub signed_by: Option<String>,
    pub last_event_at: Option<DateTime<Utc>>,
    pub last_sequence: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: i32,
}

/// Inserts `row` unless its tracking number is taken (then nothing is written and `false` is
/// returned): `ON CONFLICT DO NOTHING` on the number's unique index, so a number inserted by a
/// concurrent transaction is taken too, never a unique violation.
pub fn insert_unless_taken(conn: &mut PgConnection, row: &ShipmentRow) -> QueryResult<bool> {
    diesel::insert_into(shipments::table)
        .values(row)
        .on_conflict(shipments::tracking_number)
        .do_nothing()
        .execute(conn)
        .map(|n| n == 1)
}

/// Which shipments a caller may see.
#[derive(Debug, Clone)]
pub enum Scope {
    All,
    /// A merchant's own shipments.
    Merchant(Uuid),
    /// An end customer's parcels (SPEC §3 "sent to or by the customer"): those sent to the
    /// phone with this blind index, and those whose shipper is a customer file holding it.
    Customer(String),
}

/// The shipments within `scope`. An end customer's files are looked up first (the phone
/// projection), so the query stays one filter on indexed columns.
pub fn scoped<'a>(
    conn: &mut PgConnection,
    scope: &Scope,
) -> QueryResult<shipments::BoxedQuery<'a, diesel::pg::Pg>> {
    let q = shipments::table.into_boxed();
    Ok(match scope {
        Scope::All => q,
        Scope::Merchant(m) => q.filter(shipments::merchant_id.eq(*m)),
        Scope::Customer(hash) => {
            let files = customers::PHONES.ids_by_phone(conn, hash)?;
            let to = shipments::recipient_phone_index.eq(hash.clone());
            if files.is_empty() {
                q.filter(to)
            } else {
                q.filter(to.or(shipments::shipper_customer_id.eq_any(files)))
            }
        }
    })
}

/// The shipment with `tracking_number`, if it is within `scope`.
pub fn find_by_tracking_number(
    conn: &mut PgConnection,
    tracking_number: &str,
    scope: &Scope,
) -> QueryResult<Option<ShipmentRow>> {
    scoped(conn, scope)?
        .filter(shipments::tracking_number.eq(tracking_number))
        .select(ShipmentRow::as_select())
        .first(conn)
        .optional()
}

/// Follows a customer merge: shipments of the duplicate name the survivor as their shipper.
pub fn repoint_shipper(
    conn: &mut PgConnection,
    duplicate: Uuid,
    survivor: Uuid,
    now: DateTime<Utc>,
) -> QueryResult<usize> {
    diesel::update(shipments::table.filter(shipments::shipper_customer_id.eq(duplicate)))
        .set((
            shipments::shipper_customer_id.eq(survivor),
            shipments::updated_at.eq(now),
            shipments::version.eq(shipments::version + 1),
        ))
        .execute(conn)
}

/// Follows a customer erasure: every shipment sent to one of the erased phones gets the
/// anonymised recipient `sealed` and loses its phone index (and the signer's name). Parcels
/// the erased customer sent keep their recipient — another person's data, still needed to
/// deliver — and their `shipper_customer_id`, an opaque id (SPEC §4 keeps aggregates).
/// One statement, whatever the number of shipments.
pub fn anonymise(
    conn: &mut PgConnection,
    phone_hashes: &[String],
    sealed: &[u8],
    now: DateTime<Utc>,
) -> QueryResult<usize> {
    let erased = shipments::recipient_phone_index.eq_any(phone_hashes);
    diesel::update(shipments::table.filter(erased))
        .set((
            shipments::recipient_sealed.eq(sealed),
            shipments::recipient_phone_index.eq(""),
            shipments::signed_by.eq(None::<String>),
            shipments::updated_at.eq(now),
            shipments::version.eq(shipments::version + 1),
        ))
        .execute(conn)
}
