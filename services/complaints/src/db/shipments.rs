//! The projection of shipments this service keeps from `shipment.created`.

use diesel::prelude::*;
use kuaidi_shared::events::catalogue::ShipmentCreatedV1;
use uuid::Uuid;

use super::schema::shipment_projection;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = shipment_projection)]
#[diesel(check_for_backend(diesel::pg::Pg))]
pub struct ShipmentRow {
    pub tracking_number: String,
    pub shipment_id: Uuid,
    pub merchant_id: Option<Uuid>,
    pub shipper_customer_id: Option<Uuid>,
    pub destination_city: String,
    pub recipient_phone_hash: Option<String>,
    pub service_level: String,
    pub currency: String,
    pub freight_minor: i64,
    pub declared_value_minor: Option<i64>,
}

/// Records a shipment (idempotent by tracking number).
pub fn upsert(conn: &mut PgConnection, s: &ShipmentCreatedV1) -> anyhow::Result<()> {
    let freight = s.freight.to_minor().map_err(anyhow::Error::msg)?;
    let declared = s
        .declared_value
        .as_ref()
        .map(|m| m.to_minor().map_err(anyhow::Error::msg))
        .transpose()?;
    diesel::insert_into(shipment_projection::table)
        .values((
            shipment_projection::tracking_number.eq(&s.tracking_number),
            shipment_projection::shipment_id.eq(s.shipment_id),
            shipment_projection::merchant_id.eq(s.merchant_id),
            shipment_projection::shipper_customer_id.eq(s.shipper_customer_id),
            shipment_projection::service_level.eq(&s.service_level),
            shipment_projection::currency.eq(&s.freight.currency),
            shipment_projection::freight_minor.eq(freight),
            shipment_projection::declared_value_minor.eq(declared),
            shipment_projection::destination_city.eq(&s.destination.city),
            shipment_projection::created_at.eq(s.created_at),
            shipment_projection::recipient_phone_hash.eq(&s.recipient_phone_hash),
        ))
        .on_conflict_do_nothing()
        .execute(conn)?;
    Ok(())
}

pub fn find(conn: &mut PgConnection, tracking_number: &str) -> QueryResult<Option<ShipmentRow>> {
    shipment_projection::table
        .find(tracking_number)
        .select(ShipmentRow::as_select())
        .first(conn)
        .optional()
}
