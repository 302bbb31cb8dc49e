//! What the complaints service consumes: `shipment.created` into its shipment projection.

use diesel::PgConnection;
use kuaidi_shared::events::catalogue::ShipmentCreatedV1;
use kuaidi_shared::events::{CloudEvent, EventHandler, EventPayload};

use crate::db::shipments;

pub struct Handler;

impl EventHandler for Handler {
    fn event_types(&self) -> &[&'static str] {
        &[ShipmentCreatedV1::TYPE]
    }

    fn handle(&self, conn: &mut PgConnection, event: &CloudEvent) -> anyhow::Result<()> {
        if event.type_ == ShipmentCreatedV1::TYPE {
            shipments::upsert(conn, &event.decode()?)?;
        }
        Ok(())
    }
}
