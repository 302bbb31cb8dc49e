//! What analytics consumes into its rollups and projections, one handler per event type, and
//! the events it emits. Handlers run in the transaction that records the event id in
//! `processed_events`, so a redelivered event is counted once; increments commute and each
//! shipment fact is counted once, whatever the order of arrival.

use kuaidi_shared::events::Consumers;

pub mod complaints;
pub mod customers;
pub mod shipments;

/// Every consumer of the service (its queue is bound to exactly these types).
pub fn consumers() -> Consumers {
    let c = shipments::register(Consumers::new());
    let c = complaints::register(c);
    customers::register(c)
}
