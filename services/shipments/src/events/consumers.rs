//! The service's consumers, one handler per event type (the queue binds exactly these):
//! its own events fan out to webhook deliveries, the customers service's merges (and their
//! undo: `db::merges`) are followed on the shipments that name those customers and its
//! erasures on the shipments sent to the erased phones, its creations and tier changes
//! say which merchant each customer belongs to, and its creations, updates, merges and
//! erasures which phones each customer holds (who sent a parcel) and which contact channel
//! each prefers (where a notification goes). Each handler runs in the
//! transaction that records the event id, so a redelivery has no effect (the fan-out's own
//! unique key does that for it). Entry points like routes, they may run workflows (the webhook
//! fan-out, the notification sender); the rest of `events/` only builds events.

use diesel::PgConnection;
use kuaidi_shared::clock::Clock;
use kuaidi_shared::crypto::PiiCipher;
use kuaidi_shared::events::catalogue::{
    CustomerCreatedV1, CustomerErasedV1, CustomerMergeUndoneV1, CustomerMergedV1,
    CustomerTierChangedV1, CustomerUpdatedV1, NotificationRequestedV1, ShipmentCreatedV1,
    ShipmentDeliveredV1, ShipmentEtaChangedV1, ShipmentExceptionRaisedV1, ShipmentStatusChangedV1,
};
use kuaidi_shared::events::{CloudEvent, Consumers, EventPayload};
use std::sync::Arc;

use crate::db::shipments as repo;
use crate::db::{customers, merges};
use crate::domain::new_shipment::Recipient;
use crate::workflow::webhooks::fan_out;

/// What a recipient becomes when the customer behind their phone is erased.
pub fn erased_recipient() -> Recipient {
    Recipient {
        name: "(erased)".into(),
        phone: String::new(),
        address: "(erased)".into(),
        city: String::new(),
    }
}

/// Every handler of the service, on its clock and cipher.
pub fn consumers(clock: Clock, pii: Arc<PiiCipher>) -> Consumers {
    let own = Consumers::new();
    let own = fans_out::<ShipmentCreatedV1>(own, &clock);
    let own = fans_out::<ShipmentStatusChangedV1>(own, &clock);
    let own = fans_out::<ShipmentDeliveredV1>(own, &clock);
    let own = fans_out::<ShipmentExceptionRaisedV1>(own, &clock);
    let own = fans_out::<ShipmentEtaChangedV1>(own, &clock);
    let (merge_clock, undo_clock) = (clock.clone(), clock.clone());
    let (erase_clock, notify_clock) = (clock.clone(), clock);
    own.on_batch(
        move |conn, run: &[(&CloudEvent, NotificationRequestedV1)]| {
            let events = envelopes(run);
            fan_out(conn, &events, notify_clock.now())?;
            for event in events {
                crate::workflow::notifications::log_sender(event)?;
            }
            Ok(())
        },
    )
    .on(|conn, _, c: CustomerCreatedV1| {
        customers::TENANTS.set_merchant(conn, c.customer_id, c.merchant_id)?;
        customers::PHONES.created(conn, &c)?;
        Ok(customers::channel_created(conn, &c)?)
    })
    .on(|conn, _, u: CustomerUpdatedV1| {
        customers::PHONES.updated(conn, &u)?;
        Ok(customers::channel_updated(conn, &u)?)
    })
    .on(|conn, _, t: CustomerTierChangedV1| {
        Ok(customers::TENANTS.set_merchant(conn, t.customer_id, t.merchant_id)?)
    })
    .on(move |conn, _, m: CustomerMergedV1| {
        // What the merge moves is recorded first, so its undo moves back exactly that.
        if merges::MERGES.remember(conn, &m)? {
            repo::repoint_shipper(conn, m.duplicate_id, m.survivor_id, merge_clock.now())?;
            customers::PHONES.merged(conn, &m)?;
        }
        Ok(())
    })
    .on(move |conn, _, u: CustomerMergeUndoneV1| {
        merges::undo(conn, &u, undo_clock.now())?;
        Ok(())
    })
    .on(move |conn, _, e: CustomerErasedV1| {
        let sealed = pii.seal_json(&erased_recipient());
        // Only the parcels sent to the erased phones: those the customer sent are addressed
        // to other people, whose recipient block is theirs, not the erased customer's.
        repo::anonymise(conn, &e.phone_hashes, &sealed, erase_clock.now())?;
        customers::PHONES.erased(conn, &e)?;
        Ok(customers::channel_erased(conn, &e)?)
    })
}

/// Queues a webhook delivery of each `E` for every subscription that wants it. A delivery is
/// unique by subscription and event id, so the fan-out needs no `processed_events` row: an event
/// no one subscribed to — under a carrier's scans, nearly all of them — writes nothing.
fn fans_out<E: EventPayload + 'static>(consumers: Consumers, clock: &Clock) -> Consumers {
    let clock = clock.clone();
    consumers.on_idempotent_batch(move |conn: &mut PgConnection, run: &[(&CloudEvent, E)]| {
        fan_out(conn, &envelopes(run), clock.now())?;
        Ok(())
    })
}

/// The envelopes of a run, for the fan-out (which stores them as they came).
fn envelopes<'a, E>(run: &[(&'a CloudEvent, E)]) -> Vec<&'a CloudEvent> {
    run.iter().map(|(e, _)| *e).collect()
}
