//! Shipment events: creation (with its dimensions), first in-transit scan, delivery on time or
//! late (with the earliest in-transit scan the shipment knows), exceptions (damaged, lost, any;
//! one for every exception scan, late ones included) — each counted once per shipment, at its
//! earliest time.

use chrono::{DateTime, Utc};
use diesel::PgConnection;
use kuaidi_shared::events::catalogue::{
    ShipmentCreatedV1, ShipmentDeliveredV1, ShipmentExceptionRaisedV1, ShipmentStatusChangedV1,
};
use kuaidi_shared::events::{CloudEvent, Consumers};
use uuid::Uuid;

use crate::db::shipments::{self, Creation, Fact, Noted};
use crate::db::{customers, rollup};
use crate::domain::facts::{dimension, Counters, Dims};
use crate::domain::shipment::{DAMAGED, LOST};

/// Scans come by the thousand: the later facts of a run of events that arrived together are
/// written in a few set-based statements, however many shipments they touch. A later fact is
/// kept once per shipment (its earliest time) and counted once, as recorded in `counted` (moved
/// when an earlier time becomes known), so a redelivery changes nothing: those events need no
/// `processed_events` row. A creation also counts the shipper's activity, which a redelivery
/// would count again.
pub fn register(c: Consumers) -> Consumers {
    c.on_batch(created)
        .on_idempotent_batch(status_changed)
        .on_idempotent_batch(delivered)
        .on_idempotent_batch(exception)
}

/// The dimensions of a new shipment: its destination, service level, merchant and the
/// shipper's value tier as known now.
fn dims(s: &ShipmentCreatedV1, tier: Option<&String>) -> Dims {
    Dims {
        city: dimension(Some(&s.destination.city)),
        province: dimension(s.destination.province.as_deref()),
        hub: dimension(s.destination.hub_code.as_deref()),
        service_level: dimension(Some(&s.service_level)),
        value_tier: tier.cloned().unwrap_or_default(),
        merchant_id: s.merchant_id.unwrap_or_default(),
        ..Dims::default()
    }
}

/// New shipments come by the thousand too (merchants create them in bulk): their facts are
/// written and counted a run at a time; each shipper's activity (and freight spend) still one
/// by one.
fn created(
    conn: &mut PgConnection,
    run: &[(&CloudEvent, ShipmentCreatedV1)],
) -> anyhow::Result<()> {
    let shippers: Vec<Uuid> = run
        .iter()
        .filter_map(|(_, s)| s.shipper_customer_id)
        .collect();
    let tiers = customers::tiers(conn, &shippers)?;
    let dims: Vec<Dims> = run
        .iter()
        .map(|(_, s)| dims(s, s.shipper_customer_id.and_then(|c| tiers.get(&c))))
        .collect();
    let creations: Vec<Creation> = run
        .iter()
        .zip(&dims)
        .map(|((_, s), d)| Creation {
            shipment_id: s.shipment_id,
            tracking_number: s.tracking_number.trim(),
            created_at: Some(s.created_at),
            city: &d.city,
            province: &d.province,
            hub: &d.hub,
            service_level: &d.service_level,
            value_tier: &d.value_tier,
            merchant_id: d.merchant_id,
            customer_id: s.shipper_customer_id,
        })
        .collect();
    shipments::create_all(conn, &creations)?;
    let ids: Vec<Uuid> = run.iter().map(|(_, s)| s.shipment_id).collect();
    shipments::settle_all(conn, &ids)?;
    for ((_, s), d) in run.iter().zip(&dims) {
        if let Some(customer) = s.shipper_customer_id {
            let freight = s.freight.to_minor().unwrap_or(0);
            customers::shipped(conn, customer, d, s.created_at, freight)?;
        }
    }
    Ok(())
}

fn status_changed(
    conn: &mut PgConnection,
    run: &[(&CloudEvent, ShipmentStatusChangedV1)],
) -> anyhow::Result<()> {
    // Deliveries and exceptions have their own events; the first in-transit scan starts the
    // transit time.
    let noted: Vec<Noted> = run
        .iter()
        .filter(|(_, s)| s.to == "in_transit")
        .map(|(_, s)| {
            noted(
                s.shipment_id,
                &s.tracking_number,
                Fact::InTransit,
                s.occurred_at,
            )
        })
        .collect();
    // A delivery known before its first in-transit scan gets its transit time now.
    record_and_settle(conn, &noted)
}

fn delivered(
    conn: &mut PgConnection,
    run: &[(&CloudEvent, ShipmentDeliveredV1)],
) -> anyhow::Result<()> {
    let mut all = Vec::with_capacity(run.len() * 2);
    for (_, s) in run {
        let (id, tn) = (s.shipment_id, s.tracking_number.as_str());
        all.push(noted(
            id,
            tn,
            Fact::Delivered { on_time: s.on_time },
            s.delivered_at,
        ));
        // The earliest in-transit scan, which a late, older scan may have made earlier than
        // any `shipment.status_changed` told: the transit time is measured from it.
        if let Some(from) = s.first_in_transit_at {
            all.push(noted(id, tn, Fact::InTransit, from));
        }
    }
    record_and_settle(conn, &all)
}

fn exception(
    conn: &mut PgConnection,
    run: &[(&CloudEvent, ShipmentExceptionRaisedV1)],
) -> anyhow::Result<()> {
    let mut all = Vec::with_capacity(run.len());
    for (_, s) in run {
        let (id, tn, at) = (s.shipment_id, s.tracking_number.as_str(), s.occurred_at);
        all.push(noted(id, tn, Fact::Exception, at));
        match s.substatus.as_deref() {
            Some(DAMAGED) => all.push(noted(id, tn, Fact::Damaged, at)),
            Some(LOST) => all.push(noted(id, tn, Fact::Lost, at)),
            _ => {}
        }
    }
    record_and_settle(conn, &all)
}

fn noted(shipment_id: Uuid, tracking_number: &str, fact: Fact, at: DateTime<Utc>) -> Noted<'_> {
    Noted {
        shipment_id,
        tracking_number,
        fact,
        at,
    }
}

/// Records the facts, then counts what they made countable: only the shipments whose row they
/// changed (a row is settled in the transaction that changes it, so the others have nothing
/// new to count).
fn record_and_settle(conn: &mut PgConnection, noted: &[Noted]) -> anyhow::Result<()> {
    let changed = shipments::record_all(conn, noted)?;
    if changed.is_empty() {
        return Ok(());
    }
    shipments::settle_all(conn, &changed)
}

/// A settled claim paid out: its amount on the day it was settled, under the shipment's
/// dimensions, or under the claim's merchant when analytics does not know the shipment.
pub fn claim_paid(
    conn: &mut PgConnection,
    tracking_number: &str,
    merchant_id: Option<Uuid>,
    minor: i64,
    at: DateTime<Utc>,
) -> anyhow::Result<()> {
    let known = shipments::dims_by_tracking(conn, tracking_number.trim())?;
    let counters = Counters {
        claims_paid_minor: minor,
        ..Counters::default()
    };
    let dims = claim_dims(known, merchant_id);
    rollup::add(conn, &[crate::domain::facts::Fact::new(at, dims, counters)])
}

/// The dimensions a paid claim counts under: the shipment's when known, with the claim's
/// merchant where the shipment names none.
fn claim_dims(shipment: Option<Dims>, merchant_id: Option<Uuid>) -> Dims {
    let mut dims = shipment.unwrap_or_default();
    if dims.merchant_id.is_nil() {
        dims.merchant_id = merchant_id.unwrap_or_default();
    }
    dims
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_claim_on_an_unknown_shipment_counts_for_the_claims_merchant() {
        let merchant = Uuid::now_v7();
        assert_eq!(claim_dims(None, Some(merchant)).merchant_id, merchant);
        assert_eq!(claim_dims(None, None), Dims::default());
    }

    #[test]
    fn a_claim_on_a_known_shipment_counts_under_its_dimensions() {
        let shipment = Dims {
            city: "北京".into(),
            merchant_id: Uuid::now_v7(),
            ..Dims::default()
        };
        let dims = claim_dims(Some(shipment.clone()), Some(Uuid::now_v7()));
        assert_eq!(dims, shipment);
        let anonymous = Dims {
            city: "北京".into(),
            ..Dims::default()
        };
        let merchant = Uuid::now_v7();
        let dims = claim_dims(Some(anonymous), Some(merchant));
        assert_eq!((dims.city.as_str(), dims.merchant_id), ("北京", merchant));
    }
}
