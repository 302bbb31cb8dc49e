//! A service's consumers, registered one handler per event type. The queue's bindings come from
//! the same list, so a service is bound to exactly the types it handles.
//!
//! ```ignore
//! let consumers = Consumers::new()
//!     .on(|conn, _event, s: ShipmentCreatedV1| activity::record_shipment(conn, &s))
//!     .on(|conn, event, c: ComplaintReceivedV1| activity::record_complaint(conn, event.time, &c))
//!     // A run of events that arrived together, in one call: a few set-based statements.
//!     .on_batch(|conn, run: &[(&CloudEvent, ShipmentStatusChangedV1)]| facts::record_all(conn, run));
//! ```

use diesel::PgConnection;
use std::collections::{HashMap, HashSet};

use super::catalogue::EventPayload;
use super::consumer::{EventHandler, Failed};
use super::envelope::CloudEvent;

/// Applies a run of consecutive events of one type.
type Handle = Box<dyn Fn(&mut PgConnection, &[&CloudEvent]) -> Result<(), Failed> + Send + Sync>;

/// Typed handlers keyed by event type; implements [`EventHandler`].
#[derive(Default)]
pub struct Consumers {
    types: Vec<&'static str>,
    handlers: HashMap<&'static str, Handle>,
    /// Types whose handler is idempotent by itself: no `processed_events` row.
    unrecorded: HashSet<&'static str>,
}

impl Consumers {
    pub fn new() -> Self {
        Self::default()
    }

    /// Handles events of type `E::TYPE` with `f`, one at a time, given the envelope and the
    /// decoded payload, inside the transaction that records the event id.
    ///
    /// # Panics
    /// When a handler for the type is already registered (a wiring bug, found at start-up).
    pub fn on<E, F>(self, f: F) -> Self
    where
        E: EventPayload + 'static,
        F: Fn(&mut PgConnection, &CloudEvent, E) -> anyhow::Result<()> + Send + Sync + 'static,
    {
        self.register(
            E::TYPE,
            Box::new(move |conn, events| {
                for (i, event) in events.iter().enumerate() {
                    event
                        .decode::<E>()
                        .and_then(|payload| f(conn, event, payload))
                        .map_err(|e| Failed::at(i, e))?;
                }
                Ok(())
            }),
        )
    }

    /// Handles each run of consecutive events of type `E::TYPE` (as many as arrived together,
    /// up to the consumer's batch) with one call of `f`, in order, so a handler can apply them
    /// in a few set-based statements. An error fails the whole run: the consumer then handles
    /// each delivery alone, so only the failing one is retried or dead-lettered.
    ///
    /// # Panics
    /// When a handler for the type is already registered (a wiring bug, found at start-up).
    pub fn on_batch<E, F>(self, f: F) -> Self
    where
        E: EventPayload + 'static,
        F: Fn(&mut PgConnection, &[(&CloudEvent, E)]) -> anyhow::Result<()> + Send + Sync + 'static,
    {
        self.register(
            E::TYPE,
            Box::new(move |conn, events| {
                let decoded = events
                    .iter()
                    .enumerate()
                    .map(|(i, event)| {
                        event
                            .decode::<E>()
                            .map(|payload| (*event, payload))
                            .map_err(|e| Failed::at(i, e))
                    })
                    .collect::<Result<Vec<_>, _>>()?;
                f(conn, &decoded).map_err(Failed::somewhere)
            }),
        )
    }

    /// [`Consumers::on_batch`] for a handler that a redelivery leaves with nothing to do —
    /// its writes keyed by the event's id (`ON CONFLICT DO NOTHING`), or by state that says
    /// what was already done: its events are not recorded in `processed_events`. An event with
    /// nothing to do (a webhook fan-out with no subscriber, a scan that changes no figure)
    /// then costs its consumer no write at all.
    pub fn on_idempotent_batch<E, F>(self, f: F) -> Self
    where
        E: EventPayload + 'static,
        F: Fn(&mut PgConnection, &[(&CloudEvent, E)]) -> anyhow::Result<()> + Send + Sync + 'static,
    {
        let mut c = self.on_batch(f);
        c.unrecorded.insert(E::TYPE);
        c
    }

    fn register(mut self, type_: &'static str, handle: Handle) -> Self {
        assert!(
            !self.handlers.contains_key(type_),
            "two handlers registered for {type_}"
        );
        self.types.push(type_);
        self.handlers.insert(type_, handle);
        self
    }
}

impl EventHandler for Consumers {
    fn event_types(&self) -> &[&'static str] {
        &self.types
    }

    fn recorded(&self, event_type: &str) -> bool {
        !self.unrecorded.contains(event_type)
    }

    fn handle(&self, conn: &mut PgConnection, event: &CloudEvent) -> anyhow::Result<()> {
        self.handle_all(conn, &[event]).map_err(|f| f.error)
    }

    fn handle_all(&self, conn: &mut PgConnection, events: &[&CloudEvent]) -> Result<(), Failed> {
        let mut offset = 0;
        for run in events.chunk_by(|a, b| a.type_ == b.type_) {
            match self.handlers.get(run[0].type_.as_str()) {
                Some(handle) => handle(conn, run).map_err(|f| f.shifted(offset))?,
                // Bound only to registered types; a stray one (a binding left from an older
                // release) is acknowledged without effect.
                None => {
                    tracing::debug!(event_type = %run[0].type_, "no handler registered; ignored");
                }
            }
            offset += run.len();
        }
        Ok(())
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
    fn only_idempotent_handlers_go_unrecorded() {
        let c = Consumers::new()
            .on_idempotent_batch(|_, _: &[(&CloudEvent, ShipmentCreatedV1)]| Ok(()))
            .on(|_, _, _: CustomerMergedV1| Ok(()));
        assert!(!c.recorded("shipment.created"));
        assert!(c.recorded("customer.merged"));
        assert!(
            c.recorded("shipment.delivered"),
            "an unknown type is recorded"
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
