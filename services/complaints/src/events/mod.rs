//! What the complaints service consumes and emits. Consumed: `shipment.created` (shipment
//! projection), `shipment.delivered` (first deliveries, for late claims; see `consumers.rs`),
//! `shipment.exception_raised` (proactive cases), `customer.created`,
//! `customer.updated`, `customer.tier_changed` and `customer.owner_changed` (customer
//! projection: tier, owner, merchant, the blind indexes of the phones), `customer.merged`,
//! `customer.merge_undone` (what the merge moved goes back), `customer.erased`.
//!
//! [`consumers`] (`consumers.rs`) registers the handlers, entry points like routes that may run
//! a workflow; [`emit`] builds the events the service writes to its outbox.

pub mod consumers;
pub mod emit;

pub use consumers::consumers;
