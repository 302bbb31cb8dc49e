//! Late claims (SPEC §6: "`late` on time-definite services → freight refund"): the freight only
//! for a time-definite parcel that missed its promise — delivered after it, or not delivered and
//! past it when the claim is filed or assessed — and nothing otherwise.

use chrono::Duration as Days;
use kuaidi_shared::events::catalogue::{ShipmentCreatedV1, ShipmentDeliveredV1};
use serde_json::{json, Value};
use uuid::Uuid;

use crate::helpers::{json_of, shipment, time, Desk};

const NOW: &str = "2026-11-25T08:00:00Z";

fn cny(a: &str) -> Value {
    json!({"amount": a, "currency": "CNY"})
}

/// A shipment (freight 15.00 CNY) of `level` promised for `promised_at`, published.
async fn parcel(t: &Desk, tn: &str, level: &str, promised_at: Option<&str>) -> ShipmentCreatedV1 {
    let mut s = shipment(tn, Uuid::now_v7(), Uuid::now_v7());
    s.service_level = level.into();
    s.promised_at = promised_at.map(time);
    t.shipment_created(&s).await;
    s
}

/// `shipment.delivered` of `s` at `at`, judged against `promised_at`.
fn delivered(s: &ShipmentCreatedV1, promised_at: &str, at: &str) -> ShipmentDeliveredV1 {
    ShipmentDeliveredV1 {
        shipment_id: s.shipment_id,
        tracking_number: s.tracking_number.clone(),
        merchant_id: s.merchant_id,
        shipper_customer_id: s.shipper_customer_id,
        substatus: Some("signed".into()),
        promised_at: time(promised_at),
        delivered_at: time(at),
        on_time: time(at) <= time(promised_at),
        sequence: 9,
        first_in_transit_at: None,
    }
}

/// Files a late claim for 30.00 CNY; the claim.
async fn late(t: &Desk, tn: &str) -> Value {
    let body = json!({"tracking_number": tn, "kind": "late", "amount_claimed": cny("30.00")});
    json_of(t.post(&t.admin(), "/api/v1/claims", &body).await, 201).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_late_claim_refunds_the_freight_of_a_time_definite_service() {
    let t = Desk::at(NOW).await;
    parcel(&t, "KD300000001CN", "express", Some("2026-11-24T18:00:00Z")).await;
    parcel(&t, "KD300000002CN", "express", Some("2026-11-26T18:00:00Z")).await;
    parcel(
        &t,
        "KD300000003CN",
        "standard",
        Some("2026-11-24T18:00:00Z"),
    )
    .await;
    parcel(&t, "KD300000004CN", "same_day", None).await;

    let missed = late(&t, "KD300000001CN").await;
    let not_yet = late(&t, "KD300000002CN").await;
    let standard = late(&t, "KD300000003CN").await;
    let no_promise = late(&t, "KD300000004CN").await;

    assert_eq!(missed["amount_payable"], cny("15.00"), "past its promise");
    assert_eq!(
        not_yet["amount_payable"],
        cny("0.00"),
        "its promise is not past yet: not late (yet)"
    );
    assert_eq!(standard["amount_payable"], cny("0.00"), "not time-definite");
    assert_eq!(
        no_promise["amount_payable"],
        cny("15.00"),
        "no promise known: the SPEC's amount"
    );

    // Two days later the promise is past: the assessment computes the amount again.
    t.clock.advance(Days::days(2));
    let id = not_yet["id"].as_str().expect("id");
    let act = |action: &'static str, body: Value| {
        let t = &t;
        async move {
            let path = format!("/api/v1/claims/{id}/actions/{action}");
            t.post(&t.admin(), &path, &body).await
        }
    };
    let assessed = json_of(act("assess", json!({})).await, 200).await;
    assert_eq!(
        assessed["amount_payable"],
        cny("15.00"),
        "late as of the assessment"
    );
    let approved = json_of(act("approve", json!({"amount": cny("15.00")})).await, 200).await;
    assert_eq!(approved["amount_approved"], cny("15.00"));
    t.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_delivery_decides_lateness_whatever_the_time_now() {
    let t = Desk::at(NOW).await;
    let promise = "2026-11-24T18:00:00Z";
    let on_time = parcel(&t, "KD300000005CN", "express", Some(promise)).await;
    let unpromised = parcel(&t, "KD300000006CN", "express", None).await;
    // A later delivery first, then the earliest (events may come twice or out of order): the
    // earliest stands.
    let source = "shipments";
    t.publish(
        source,
        on_time.shipment_id,
        &delivered(&on_time, promise, "2026-11-24T20:00:00Z"),
    )
    .await;
    let first = delivered(&on_time, promise, "2026-11-24T17:00:00Z");
    t.publish(source, on_time.shipment_id, &first).await;
    t.publish(source, on_time.shipment_id, &first).await;
    t.publish(
        source,
        unpromised.shipment_id,
        &delivered(&unpromised, promise, "2026-11-24T19:00:00Z"),
    )
    .await;
    t.until_db(
        "both deliveries, the earliest on time",
        "SELECT count(*) - 1 AS n FROM shipment_deliveries \
         WHERE tracking_number = 'KD300000006CN' \
            OR (tracking_number = 'KD300000005CN' AND on_time)"
            .into(),
    )
    .await;

    assert_eq!(
        late(&t, "KD300000005CN").await["amount_payable"],
        cny("0.00"),
        "delivered by its promise, though the promise is past now"
    );
    assert_eq!(
        late(&t, "KD300000006CN").await["amount_payable"],
        cny("15.00"),
        "delivered late, as the shipments service judged it"
    );
    t.stop().await;
}
