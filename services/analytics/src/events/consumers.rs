//! The registration of every handler, by producer.

use kuaidi_shared::events::Consumers;

use super::{complaints, customers, shipments};

/// Every consumer of the service (its queue is bound to exactly these types).
pub fn consumers() -> Consumers {
    let c = shipments::register(Consumers::new());
    let c = complaints::register(c);
    customers::register(c)
}
