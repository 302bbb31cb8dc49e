//! What a claim's parcel says about its ground (SPEC §6): a parcel whose promise is not past is
//! not late, a delivered parcel is not lost — such claims are payable nothing, as of their
//! filing or assessment — and an approval's amount is money, never a bare string (SPEC §2).

use chrono::Duration as Days;
use kuaidi_shared::events::catalogue::{ShipmentCreatedV1, ShipmentDeliveredV1};
use serde_json::{json, Value};
use uuid::Uuid;

use crate::helpers::{json_of, refused_fields, shipment, time, Desk};

const NOW: &str = "2026-11-25T08:00:00Z";

fn cny(a: &str) -> Value {
    json!({"amount": a, "currency": "CNY"})
}

/// An express shipment (freight 15.00 CNY) promised for `promised_at`, published.
async fn parcel(t: &Desk, tn: &str, promised_at: &str) -> ShipmentCreatedV1 {
    let mut s = shipment(tn, Uuid::now_v7(), Uuid::now_v7());
    s.promised_at = Some(time(promised_at));
    t.shipment_created(&s).await;
    s
}

/// Publishes `shipment.delivered` (signed, on time) of `s` and waits until it is known.
async fn delivered(t: &Desk, s: &ShipmentCreatedV1) {
    let promised_at = s.promised_at.expect("promise");
    let delivery = ShipmentDeliveredV1 {
        shipment_id: s.shipment_id,
        tracking_number: s.tracking_number.clone(),
        merchant_id: s.merchant_id,
        shipper_customer_id: s.shipper_customer_id,
        substatus: Some("signed".into()),
        promised_at,
        delivered_at: promised_at - Days::hours(1),
        on_time: true,
        sequence: 9,
        first_in_transit_at: None,
    };
    t.publish("shipments", s.shipment_id, &delivery).await;
    t.until_db(
        "the delivery known",
        format!(
            "SELECT count(*) AS n FROM shipment_deliveries WHERE tracking_number = '{}'",
            s.tracking_number
        ),
    )
    .await;
}

async fn file(t: &Desk, tn: &str, kind: &str, amount: &str) -> Value {
    let body = json!({"tracking_number": tn, "kind": kind, "amount_claimed": cny(amount)});
    json_of(t.post(&t.admin(), "/api/v1/claims", &body).await, 201).await
}

async fn act(t: &Desk, claim: &Value, action: &str, body: Value) -> reqwest::Response {
    let id = claim["id"].as_str().expect("id");
    let path = format!("/api/v1/claims/{id}/actions/{action}");
    t.post(&t.admin(), &path, &body).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_parcel_whose_promise_is_not_past_is_not_late() {
    let t = Desk::at(NOW).await;
    let tn = "KD500000001CN";
    parcel(&t, tn, "2026-11-26T18:00:00Z").await;

    let early = file(&t, tn, "late", "30.00").await;
    let assessed = json_of(act(&t, &early, "assess", json!({})).await, 200).await;

    assert_eq!(early["amount_payable"], cny("0.00"), "in transit, not due");
    assert_eq!(assessed["amount_payable"], cny("0.00"), "still not due");
    let refund = act(&t, &early, "approve", json!({"amount": cny("15.00")})).await;
    assert_eq!(
        refused_fields(refund).await,
        vec!["amount"],
        "nothing payable"
    );
    let reason = json!({"reason": "not late yet"});
    json_of(act(&t, &early, "reject", reason).await, 200).await;
    t.clock.advance(Days::days(2));
    let due = file(&t, tn, "late", "30.00").await;
    assert_eq!(due["amount_payable"], cny("15.00"), "past its promise now");
    t.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_delivered_parcel_is_not_lost_but_may_be_damaged() {
    let t = Desk::at(NOW).await;
    let signed = parcel(&t, "KD500000002CN", "2026-11-24T18:00:00Z").await;
    let later = parcel(&t, "KD500000003CN", "2026-11-24T18:00:00Z").await;
    delivered(&t, &signed).await;
    let filed_first = file(&t, "KD500000003CN", "lost", "45.00").await;
    assert_eq!(filed_first["amount_payable"], cny("45.00"), "not delivered");

    let lost = file(&t, "KD500000002CN", "lost", "45.00").await;
    let damaged = file(&t, "KD500000002CN", "damaged", "45.00").await;
    delivered(&t, &later).await;
    let assessed = json_of(act(&t, &filed_first, "assess", json!({})).await, 200).await;

    assert_eq!(lost["amount_payable"], cny("0.00"), "delivered and signed");
    assert_eq!(damaged["amount_payable"], cny("45.00"), "3 × freight");
    assert_eq!(
        assessed["amount_payable"],
        cny("0.00"),
        "delivered since it was filed"
    );
    t.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_approved_amount_is_money_never_a_bare_string_or_number() {
    let t = Desk::at(NOW).await;
    let tn = "KD500000004CN";
    parcel(&t, tn, "2026-11-24T18:00:00Z").await;
    let claim = file(&t, tn, "damaged", "40.00").await;
    json_of(act(&t, &claim, "assess", json!({})).await, 200).await;

    for amount in [
        json!("10"),
        json!("10.00"),
        json!(10),
        json!({"amount": "10.00", "currency": "USD"}),
        json!({"amount": "10.00"}),
    ] {
        let resp = act(&t, &claim, "approve", json!({ "amount": amount })).await;
        assert_eq!(refused_fields(resp).await, vec!["amount"], "{amount}");
    }
    let approved = act(&t, &claim, "approve", json!({"amount": cny("10.00")})).await;

    let approved = json_of(approved, 200).await;
    assert_eq!(approved["amount_approved"], cny("10.00"));
    t.stop().await;
}
