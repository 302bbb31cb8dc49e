//! What the customers service consumes: shipments feed each customer's activity, complaints its
//! complaint counts. Handlers run in the transaction that records the event id.

use diesel::PgConnection;
use kuaidi_shared::events::catalogue::{ComplaintReceivedV1, ShipmentCreatedV1};
use kuaidi_shared::events::{CloudEvent, EventHandler, EventPayload};

use crate::db::activity;

pub struct Handler;

impl EventHandler for Handler {
    fn event_types(&self) -> &[&'static str] {
        &[ShipmentCreatedV1::TYPE, ComplaintReceivedV1::TYPE]
    }

    fn handle(&self, conn: &mut PgConnection, event: &CloudEvent) -> anyhow::Result<()> {
        match event.type_.as_str() {
            ShipmentCreatedV1::TYPE => {
                let s: ShipmentCreatedV1 = event.decode()?;
                if let Some(customer) = s.shipper_customer_id {
                    let spend = s.freight.to_minor().map_err(anyhow::Error::msg)?;
                    activity::record_shipment(
                        conn,
                        customer,
                        s.created_at,
                        &s.freight.currency,
                        spend,
                    )?;
                }
            }
            ComplaintReceivedV1::TYPE => {
                let c: ComplaintReceivedV1 = event.decode()?;
                if let Some(customer) = c.customer_id {
                    activity::record_complaint(conn, c.complaint_id, customer, c.received_at)?;
                }
            }
            other => tracing::debug!(event_type = other, "event not handled here"),
        }
        Ok(())
    }
}
