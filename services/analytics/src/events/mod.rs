//! What analytics consumes into its rollups and projections, one handler per event type,
//! registered by producer in [`consumers`], and the event it emits ([`alerts`]). Handlers run
//! in the transaction that records the event id in `processed_events`, so a redelivered event
//! is counted once; increments commute and each shipment fact is counted once, whatever the
//! order of arrival.

pub mod alerts;
pub mod complaints;
pub mod consumers;
pub mod customers;
pub mod shipments;

pub use consumers::consumers;
