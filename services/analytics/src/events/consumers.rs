//! The registration of every handler, by producer, and what tells the early-warning job that
//! the facts its rules read changed.

use diesel::PgConnection;
use kuaidi_shared::events::catalogue::{
    ComplaintReceivedV1, ComplaintStatusChangedV1, EventPayload, ShipmentDeliveredV1,
};
use kuaidi_shared::events::{CloudEvent, Consumers, EventHandler, Failed};
use std::sync::Arc;

use super::{complaints, customers, shipments};
use crate::workflow::alerts::FactsChanged;

/// The events that change what the early-warning rules read: complaints (received, or moved
/// to another category at triage) and deliveries (on time or late).
const ALERT_FACTS: [&str; 3] = [
    ComplaintReceivedV1::TYPE,
    ComplaintStatusChangedV1::TYPE,
    ShipmentDeliveredV1::TYPE,
];

/// Every consumer of the service (its queue is bound to exactly these types); a run of events
/// that holds one of [`ALERT_FACTS`] tells `changed` once applied (its transaction commits
/// right after).
pub fn consumers(changed: Arc<FactsChanged>) -> Telling {
    let c = shipments::register(Consumers::new());
    let c = complaints::register(c);
    Telling {
        inner: customers::register(c),
        changed,
    }
}

/// [`Consumers`] that tell the early-warning job when they applied facts its rules read.
pub struct Telling {
    inner: Consumers,
    changed: Arc<FactsChanged>,
}

impl Telling {
    fn told(&self, events: &[&CloudEvent]) {
        if events
            .iter()
            .any(|e| ALERT_FACTS.contains(&e.type_.as_str()))
        {
            self.changed.tell();
        }
    }
}

impl EventHandler for Telling {
    fn event_types(&self) -> &[&'static str] {
        self.inner.event_types()
    }

    fn recorded(&self, event_type: &str) -> bool {
        self.inner.recorded(event_type)
    }

    fn handle(&self, conn: &mut PgConnection, event: &CloudEvent) -> anyhow::Result<()> {
        self.inner.handle(conn, event)?;
        self.told(&[event]);
        Ok(())
    }

    fn handle_all(&self, conn: &mut PgConnection, events: &[&CloudEvent]) -> Result<(), Failed> {
        self.inner.handle_all(conn, events)?;
        self.told(events);
        Ok(())
    }
}
