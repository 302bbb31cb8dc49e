//! Shipment events: creation (with its dimensions), first in-transit scan, delivery on time or
//! late, exceptions (damaged, lost, any) — each counted once per shipment.

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
/// kept once per shipment (its earliest time) and counted once (`counted`), so a redelivery
/// changes nothing: those events need no `processed_events` row. A creation also counts the
/// shipper's activity, which a redelivery would count again.
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
/// written and counted a run at a time; each shipper's activity still one by one.
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
            customers::shipped(conn, customer, d, s.created_at)?;
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
    Ok(shipments::record_all(conn, &noted)?)
}

fn delivered(
    conn: &mut PgConnection,
    run: &[(&CloudEvent, ShipmentDeliveredV1)],
) -> anyhow::Result<()> {
    let noted: Vec<Noted> = run
        .iter()
        .map(|(_, s)| {
            let fact = Fact::Delivered { on_time: s.on_time };
            noted(s.shipment_id, &s.tracking_number, fact, s.delivered_at)
        })
        .collect();
    record_and_settle(conn, &noted)
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

/// Records the facts, then counts what they made countable.
fn record_and_settle(conn: &mut PgConnection, noted: &[Noted]) -> anyhow::Result<()> {
    shipments::record_all(conn, noted)?;
    let ids: Vec<Uuid> = noted.iter().map(|n| n.shipment_id).collect();
    shipments::settle_all(conn, &ids)
}

/// A settled claim paid out: its amount on the day it was settled, under the shipment's
/// dimensions.
pub fn claim_paid(
    conn: &mut PgConnection,
    tracking_number: &str,
    minor: i64,
    at: chrono::DateTime<chrono::Utc>,
) -> anyhow::Result<()> {
    let dims = shipments::dims_by_tracking(conn, tracking_number.trim())?.unwrap_or_default();
    let counters = Counters {
        claims_paid_minor: minor,
        ..Counters::default()
    };
    rollup::add(conn, &[crate::domain::facts::Fact::new(at, dims, counters)])
}
