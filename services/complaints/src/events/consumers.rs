//! The service's consumers, one handler per event type (the queue binds exactly these): the
//! shipment projection and first deliveries (`db::shipments`), the customer projections (a
//! merge and its undo: `db::merges`), and the proactive case a key account's lost or damaged
//! parcel opens (`workflow::proactive`). Entry points like routes: they may run a workflow.

use kuaidi_shared::clock::Clock;
use kuaidi_shared::events::catalogue::{
    CustomerCreatedV1, CustomerErasedV1, CustomerMergeUndoneV1, CustomerMergedV1,
    CustomerOwnerChangedV1, CustomerTierChangedV1, CustomerUpdatedV1, ShipmentCreatedV1,
    ShipmentDeliveredV1, ShipmentExceptionRaisedV1,
};
use kuaidi_shared::events::{CloudEvent, Consumers};

use crate::configuration::Rules;
use crate::db::{customers, merges, shipments};
use crate::workflow::proactive;

/// The service's consumers (the queue binds exactly these types).
pub fn consumers(clock: Clock, rules: Rules) -> Consumers {
    let (merging, undoing, erasing) = (clock.clone(), clock.clone(), clock.clone());
    let consumers = Consumers::new()
        .on(|conn, _, s: ShipmentCreatedV1| shipments::upsert(conn, &s))
        .on(move |conn, event, e: ShipmentExceptionRaisedV1| {
            proactive::on_exception(conn, event, &e, clock.now(), &rules)
        })
        .on(|conn, _, t: CustomerTierChangedV1| {
            customers::set_tier(conn, t.customer_id, &t.to, t.changed_at)?;
            customers::TENANTS.set_merchant(conn, t.customer_id, t.merchant_id)?;
            if let Some(owner) = t.owner_id {
                customers::set_owner(conn, t.customer_id, Some(owner), t.changed_at)?;
            }
            Ok(())
        })
        .on(|conn, _, c: CustomerCreatedV1| {
            customers::set_tier(conn, c.customer_id, &c.value_tier, c.created_at)?;
            customers::TENANTS.set_merchant(conn, c.customer_id, c.merchant_id)?;
            customers::PHONES.created(conn, &c)?;
            Ok(customers::set_owner(
                conn,
                c.customer_id,
                c.owner_id,
                c.created_at,
            )?)
        })
        .on(|conn, _, u: CustomerUpdatedV1| Ok(customers::PHONES.updated(conn, &u)?))
        .on(|conn, _, o: CustomerOwnerChangedV1| {
            Ok(customers::set_owner(
                conn,
                o.customer_id,
                o.to_owner_id,
                o.changed_at,
            )?)
        })
        .on(move |conn, _, m: CustomerMergedV1| {
            // What the merge moves is recorded first, so its undo moves back exactly that.
            if merges::MERGES.remember(conn, &m)? {
                customers::merge(conn, m.survivor_id, m.duplicate_id, merging.now_micros())?;
                customers::PHONES.merged(conn, &m)?;
            }
            Ok(())
        })
        .on(move |conn, _, u: CustomerMergeUndoneV1| {
            merges::undo(conn, &u, undoing.now_micros())?;
            Ok(())
        })
        .on(move |conn, _, e: CustomerErasedV1| {
            customers::erase(conn, e.customer_id, &e.phone_hashes, erasing.now_micros())?;
            customers::PHONES.erased(conn, &e)?;
            Ok(())
        });
    // A late claim's lateness: the earliest delivery and its on-time.
    consumers.on_batch(|conn, run: &[(&CloudEvent, ShipmentDeliveredV1)]| {
        shipments::record_deliveries(conn, run)
    })
}
