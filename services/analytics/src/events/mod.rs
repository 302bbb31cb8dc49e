//! What analytics consumes into its rollups. Handlers run in the transaction that records the
//! event id, so a redelivered event is counted once.

use diesel::PgConnection;
use kuaidi_shared::events::catalogue::{ComplaintReceivedV1, ShipmentCreatedV1};
use kuaidi_shared::events::{CloudEvent, EventHandler, EventPayload};

use crate::db::rollup::{self, Key};

pub struct Handler;

impl EventHandler for Handler {
    fn event_types(&self) -> &'static [&'static str] {
        &[ShipmentCreatedV1::TYPE, ComplaintReceivedV1::TYPE]
    }

    fn handle(&self, conn: &mut PgConnection, event: &CloudEvent) -> anyhow::Result<()> {
        match event.type_.as_str() {
            ShipmentCreatedV1::TYPE => {
                let s: ShipmentCreatedV1 = event.decode()?;
                let key = Key {
                    day: s.created_at.date_naive(),
                    merchant_id: s.merchant_id,
                    city: s.destination.city,
                    province: s.destination.province.unwrap_or_default(),
                    service_level: s.service_level,
                    category: String::new(),
                };
                rollup::add(conn, &key, 1, 0)?;
            }
            ComplaintReceivedV1::TYPE => {
                let c: ComplaintReceivedV1 = event.decode()?;
                let key = Key {
                    day: c.received_at.date_naive(),
                    merchant_id: c.merchant_id,
                    city: c.city.unwrap_or_default(),
                    category: c.category.unwrap_or_default(),
                    ..Key::default()
                };
                rollup::add(conn, &key, 0, 1)?;
            }
            other => tracing::debug!(event_type = other, "event not handled here"),
        }
        Ok(())
    }
}
