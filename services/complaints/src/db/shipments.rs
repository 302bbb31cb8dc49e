//! The projection of shipments this service keeps from `shipment.created`, and their first
//! deliveries from `shipment.delivered` (what a `late` claim is assessed against).

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use kuaidi_shared::events::catalogue::{ShipmentCreatedV1, ShipmentDeliveredV1};
use kuaidi_shared::events::CloudEvent;
use std::collections::BTreeMap;
use uuid::Uuid;

use super::schema::{shipment_deliveries, shipment_projection};
use crate::domain::claims::Delivery;

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
    /// The promised delivery time (absent from rows projected before it was kept).
    pub promised_at: Option<DateTime<Utc>>,
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
            shipment_projection::promised_at.eq(s.promised_at),
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

/// Records the deliveries of a run of `shipment.delivered` events in one statement, keeping
/// each shipment's earliest: a redelivered event changes nothing, and a delivery arriving out
/// of order (or before the shipment's `shipment.created`) lands all the same. Rows are written
/// in key order, so two replicas' runs never lock them in opposite orders.
pub fn record_deliveries(
    conn: &mut PgConnection,
    run: &[(&CloudEvent, ShipmentDeliveredV1)],
) -> anyhow::Result<()> {
    use diesel::sql_types::{Array, Bool, Text, Timestamptz};
    let mut earliest: BTreeMap<&str, &ShipmentDeliveredV1> = BTreeMap::new();
    for (_, d) in run {
        earliest
            .entry(d.tracking_number.as_str())
            .and_modify(|e| {
                if d.delivered_at < e.delivered_at {
                    *e = d;
                }
            })
            .or_insert(d);
    }
    if earliest.is_empty() {
        return Ok(());
    }
    let rows: Vec<&ShipmentDeliveredV1> = earliest.into_values().collect();
    diesel::sql_query(
        "INSERT INTO shipment_deliveries (tracking_number, delivered_at, on_time) \
         SELECT * FROM UNNEST($1::text[], $2::timestamptz[], $3::bool[]) \
             AS d(tracking_number, delivered_at, on_time) \
         ORDER BY tracking_number \
         ON CONFLICT (tracking_number) DO UPDATE SET \
             delivered_at = EXCLUDED.delivered_at, on_time = EXCLUDED.on_time \
         WHERE EXCLUDED.delivered_at < shipment_deliveries.delivered_at",
    )
    .bind::<Array<Text>, _>(rows.iter().map(|d| &d.tracking_number).collect::<Vec<_>>())
    .bind::<Array<Timestamptz>, _>(rows.iter().map(|d| d.delivered_at).collect::<Vec<_>>())
    .bind::<Array<Bool>, _>(rows.iter().map(|d| d.on_time).collect::<Vec<_>>())
    .execute(conn)?;
    Ok(())
}

/// The first delivery of a shipment, if one is known.
pub fn delivery(conn: &mut PgConnection, tracking_number: &str) -> QueryResult<Option<Delivery>> {
    shipment_deliveries::table
        .find(tracking_number)
        .select((
            shipment_deliveries::delivered_at,
            shipment_deliveries::on_time,
        ))
        .first::<(DateTime<Utc>, bool)>(conn)
        .optional()
        .map(|d| {
            d.map(|(delivered_at, on_time)| Delivery {
                delivered_at,
                on_time,
            })
        })
}
