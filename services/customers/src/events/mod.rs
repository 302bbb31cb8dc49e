//! What the customers service consumes ([`consumers`], `consumers.rs`: the handlers, entry
//! points like routes) and how it writes its own events ([`event`], [`classified`]); what an
//! event becomes on a customer's timeline is [`timeline`].

use chrono::{DateTime, Utc};
use kuaidi_shared::events::catalogue::EventPayload;
use kuaidi_shared::events::CloudEvent;
use kuaidi_shared::request::RequestContext;
use uuid::Uuid;

pub mod classified;
pub mod consumers;
pub mod timeline;

pub use consumers::consumers;

/// Wraps one of our payloads about customer `subject` for the outbox.
pub fn event<P: EventPayload>(
    subject: Uuid,
    payload: &P,
    ctx: &RequestContext,
    now: DateTime<Utc>,
) -> CloudEvent {
    CloudEvent::about(crate::SERVICE, subject, payload, ctx, now)
}
