//! A service's consumers, registered one handler per event type. The queue's bindings come from
//! the same list, so a service is bound to exactly the types it handles.
//!
//! ```ignore
//! let consumers = Consumers::new()
//!     .on(|conn, _event, s: ShipmentCreatedV1| activity::record_shipment(conn, &s))
//!     .on(|conn, event, c: ComplaintReceivedV1| activity::record_complaint(conn, event.time, &c));
//! ```

use diesel::PgConnection;
use std::collections::HashMap;

use super::catalogue::EventPayload;
use super::consumer::EventHandler;
use super::envelope::CloudEvent;

type Handle = Box<dyn Fn(&mut PgConnection, &CloudEvent) -> anyhow::Result<()> + Send + Sync>;

/// Typed handlers keyed by event type; implements [`EventHandler`].
#[derive(Default)]
pub struct Consumers {
    types: Vec<&'static str>,
    handlers: HashMap<&'static str, Handle>,
}

impl Consumers {
    pub fn new() -> Self {
        Self::default()
    }

    /// Handles events of type `E::TYPE` with `f`, given the envelope and the decoded payload,
    /// inside the transaction that records the event id.
    ///
    /// # Panics
    /// When a handler for the type is already registered (a wiring bug, found at start-up).
    pub fn on<E, F>(mut self, f: F) -> Self
    where
        E: EventPayload + 'static,
        F: Fn(&mut PgConnection, &CloudEvent, E) -> anyhow::Result<()> + Send + Sync + 'static,
    {
        assert!(
            !self.handlers.contains_key(E::TYPE),
            "two handlers registered for {}",
            E::TYPE
        );
        self.types.push(E::TYPE);
        self.handlers.insert(
            E::TYPE,
            Box::new(move |conn, event| f(conn, event, event.decode::<E>()?)),
        );
        self
    }
}

impl EventHandler for Consumers {
    fn event_types(&self) -> &[&'static str] {
        &self.types
    }

    fn handle(&self, conn: &mut PgConnection, event: &CloudEvent) -> anyhow::Result<()> {
        match self.handlers.get(event.type_.as_str()) {
            Some(handle) => handle(conn, event),
            // Bound only to registered types; a stray one (a binding left from an older release)
            // is acknowledged without effect.
            None => {
                tracing::debug!(event_type = %event.type_, "no handler registered; ignored");
                Ok(())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::events::catalogue::{CustomerMergedV1, ShipmentCreatedV1};

    #[test]
    fn bindings_are_the_registered_types() {
        let c = Consumers::new()
            .on(|_, _, _: ShipmentCreatedV1| Ok(()))
            .on(|_, _, _: CustomerMergedV1| Ok(()));
        assert_eq!(
            c.event_types(),
            &["shipment.created", "customer.merged"],
            "the queue binds exactly the handled types"
        );
    }

    #[test]
    #[should_panic(expected = "two handlers")]
    fn a_type_registered_twice_is_a_wiring_bug() {
        let _ = Consumers::new()
            .on(|_, _, _: ShipmentCreatedV1| Ok(()))
            .on(|_, _, _: ShipmentCreatedV1| Ok(()));
    }
}
