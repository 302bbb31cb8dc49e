//! What the shipments service publishes and consumes (SPEC §7). Every event it emits is built
//! here, one constructor per event type ([`emit`]); the transaction that writes them to the
//! outbox is the caller's. Its consumers ([`consumers`]) fan its own events out to webhooks and
//! follow the customers service's merges (and their undo) and erasures.

pub mod consumers;
pub mod emit;
pub mod tracking;

pub use consumers::consumers;
pub use emit::{About, Emitter};
