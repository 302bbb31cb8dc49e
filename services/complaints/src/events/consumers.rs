//! The service's consumers, one handler per event type (the queue binds exactly these): the
//! shipment and customer projections, and the proactive case a key account's lost or damaged
//! parcel opens (`workflow::proactive`). Entry points like routes: they may run a workflow.

use kuaidi_shared::clock::Clock;
use kuaidi_shared::events::catalogue::{
    CustomerCreatedV1, CustomerErasedV1, CustomerMergedV1, CustomerOwnerChangedV1,
    CustomerTierChangedV1, CustomerUpdatedV1, ShipmentCreatedV1, ShipmentExceptionRaisedV1,
};
use kuaidi_shared::events::Consumers;

use crate::db::{customers, shipments};
use crate::workflow::proactive;

/// The service's consumers (the queue binds exactly these types).
pub fn consumers(clock: Clock) -> Consumers {
    Consumers::new()
        .on(|conn, _, s: ShipmentCreatedV1| shipments::upsert(conn, &s))
        .on(move |conn, event, e: ShipmentExceptionRaisedV1| {
            proactive::on_exception(conn, event, &e, clock.now())
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
        .on(|conn, _, m: CustomerMergedV1| {
            customers::merge(conn, m.survivor_id, m.duplicate_id)?;
            customers::PHONES.merged(conn, &m)?;
            Ok(())
        })
        .on(|conn, _, e: CustomerErasedV1| {
            customers::erase(conn, e.customer_id, &e.phone_hashes)?;
            customers::PHONES.erased(conn, &e)?;
            Ok(())
        })
}
