//! What the customers service consumes ([`consumers`], `consumers.rs`: the handlers, entry
//! points like routes) and how it writes its own events ([`emit`]: one constructor per event
//! type; [`classified`]: the classification run's, set-based); what an event becomes on a
//! customer's timeline is [`timeline`].

pub mod classified;
pub mod consumers;
pub mod emit;
pub mod timeline;

pub use consumers::consumers;
