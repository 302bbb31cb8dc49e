//! Which shipments a disruption at a hub touches (SPEC §5 "the shipments that were at or bound
//! through that hub in the window and are not delivered"), and who may tell their customers.

use chrono::{DateTime, Duration, SecondsFormat, Utc};
use kuaidi_shared::auth::{Claims, Role};
use kuaidi_shared::testing::{claims, expect_json, signed, strings};
use serde_json::{json, Value};
use uuid::Uuid;

use crate::helpers::{scan_accepted, shipment_body, spawn, Shipments, TestApp};

const HUB: &str = "HUB7";

async fn create(t: &TestApp, body: &Value) -> String {
    let created = expect_json(t.create(&t.admin(), body).await, 201).await;
    created["tracking_number"]
        .as_str()
        .expect("tracking number")
        .to_owned()
}

/// Scans `tn` with `status` at `hub`, `hours_ago` hours ago.
async fn scan(t: &TestApp, tn: &str, status: &str, hub: &str, hours_ago: i64) {
    let at = Utc::now() - Duration::hours(hours_ago);
    let event = json!({"tracking_number": tn,
        "event_id": format!("{tn}-{status}-{hub}-{hours_ago}"), "status": status,
        "occurred_at": at.to_rfc3339(), "location": {"hub_code": hub, "city": "杭州"}});
    scan_accepted(t, event).await;
}

fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Micros, true)
}

/// The tracking numbers `GET /shipments/impact?{query}` lists, sorted.
async fn impacted(t: &TestApp, query: &str) -> Vec<String> {
    let url = format!("/api/v1/shipments/impact?{query}");
    let body = expect_json(t.get(&t.admin(), &url).await, 200).await;
    let mut listed: Vec<String> = strings(&body["data"], "tracking_number")
        .into_iter()
        .map(str::to_owned)
        .collect();
    listed.sort();
    assert_eq!(body["total"], listed.len(), "{body}");
    listed
}

fn sorted(mut tns: Vec<&String>) -> Vec<String> {
    tns.sort();
    tns.into_iter().cloned().collect()
}

/// The probe: a parcel scanned at the hub 30 h ago that never moved again was missing from
/// the default (24 h) window, and a window ahead (an announced outage: now to now + 4 h) found
/// nothing, though parcels sat at the hub or were bound for it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn parcels_sitting_at_or_bound_for_the_hub_are_in_any_window_they_are_there() {
    let t = spawn().await;
    let merchant = Uuid::now_v7();
    let sitting = create(&t, &shipment_body(merchant)).await;
    scan(&t, &sitting, "in_transit", HUB, 30).await;
    let mut for_the_hub = shipment_body(merchant);
    for_the_hub["destination"]["hub_code"] = json!(HUB);
    let bound = create(&t, &for_the_hub).await;
    let passed = create(&t, &shipment_body(merchant)).await;
    scan(&t, &passed, "in_transit", HUB, 2).await;
    scan(&t, &passed, "in_transit", "PEK01", 1).await;
    let left_before = create(&t, &shipment_body(merchant)).await;
    scan(&t, &left_before, "in_transit", HUB, 30).await;
    scan(&t, &left_before, "in_transit", "PEK01", 26).await;
    let delivered = create(&t, &for_the_hub).await;
    scan(&t, &delivered, "in_transit", HUB, 30).await;
    scan(&t, &delivered, "delivered", "PEK02", 1).await;

    assert_eq!(
        impacted(&t, &format!("hub_code={HUB}")).await,
        sorted(vec![&sitting, &bound, &passed]),
        "the last 24 h: there since before, bound for it, passed through it"
    );
    let now = Utc::now();
    let ahead = format!(
        "hub_code={HUB}&from={}&to={}",
        rfc3339(now),
        rfc3339(now + Duration::hours(4))
    );
    let ahead = ahead.replace('+', "%2B");
    assert_eq!(
        impacted(&t, &ahead).await,
        sorted(vec![&sitting, &bound]),
        "the next 4 h: still there, or still on the way to it"
    );

    let notify = json!({"hub_code": HUB, "from": rfc3339(now),
        "to": rfc3339(now + Duration::hours(4)), "reason": "power cut"});
    let resp = t
        .post(&t.admin(), "/api/v1/shipments/impact:notify", &notify)
        .await;
    let notified = expect_json(resp, 202).await;
    assert_eq!(notified["notified"], 2, "the same selection: {notified}");
    t.app.stop().await;
}

/// A merchant token limited to `shipments:read`.
fn read_only_merchant(t: &TestApp, merchant: Uuid) -> String {
    signed(
        &t.env.key,
        &Claims {
            scopes: vec!["shipments:read".into()],
            merchant_id: Some(merchant),
            ..claims(Role::Merchant, "client:kdc_reader")
        },
    )
}

/// Raising customers' notifications is a write: the right to create shipments, and for a token
/// with scopes `shipments:create`. A read-only merchant client was answered `202` before.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn notifying_a_disruption_takes_the_right_to_create_shipments() {
    let t = spawn().await;
    let merchant = Uuid::now_v7();
    let mut body = shipment_body(merchant);
    body["destination"]["hub_code"] = json!(HUB);
    create(&t, &body).await;
    let notify = json!({"hub_code": HUB, "reason": "typhoon"});
    let reader = read_only_merchant(&t, merchant);

    let read = t
        .get(&reader, &format!("/api/v1/shipments/impact?hub_code={HUB}"))
        .await;
    assert_eq!(read.status(), 200, "a reader may look");
    for (who, token) in [
        ("a read-only merchant client", reader),
        ("an analyst", t.env.token(Role::Analyst, None)),
        ("a customer", t.env.customer_token("x")),
    ] {
        let resp = t
            .post(&token, "/api/v1/shipments/impact:notify", &notify)
            .await;
        assert_eq!(resp.status(), 403, "{who} may not notify");
    }
    let merchant_token = t.merchant(merchant);
    let resp = t
        .post(&merchant_token, "/api/v1/shipments/impact:notify", &notify)
        .await;
    let notified = expect_json(resp, 202).await;
    assert_eq!(
        notified["notified"], 1,
        "a merchant notifies its own: {notified}"
    );
    t.app.stop().await;
}
