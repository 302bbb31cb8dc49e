//! Times are kept to the microsecond PostgreSQL stores: what a write answers, and the events it
//! emits, say the same time as every later read — a merchant comparing them sees no change.

use chrono::{Duration as Span, Utc};
use kuaidi_shared::auth::Role;
use kuaidi_shared::testing::{body_json, expect_json, TestApp};
use serde_json::{json, Value};
use std::time::Duration;
use uuid::Uuid;

use crate::helpers::{shipment_body, spawn};

const WAIT: Duration = Duration::from_secs(10);

/// The times a shipment shows.
const TIMES: [&str; 4] = [
    "created_at",
    "updated_at",
    "promised_at",
    "estimated_delivery_at",
];

/// Whether an RFC 3339 time has at most six fractional digits.
fn to_the_microsecond(time: &Value) -> bool {
    let text = time.as_str().unwrap_or_default();
    let fraction = text
        .split_once('.')
        .map_or("", |(_, f)| f.trim_end_matches('Z'));
    !text.is_empty() && fraction.len() <= 6
}

/// `expected`'s times in `got`, field for field.
fn same_times(expected: &Value, got: &Value, fields: &[&str], what: &str) {
    for field in fields {
        assert_eq!(got[field], expected[field], "{field} of {what}");
        assert!(
            to_the_microsecond(&got[field]),
            "{field} of {what}: {}",
            got[field]
        );
    }
}

/// The shipment `tn` as the merchant's list and batch-get show it.
async fn listed(t: &TestApp, token: &str, tn: &str) -> (Value, Value) {
    let list = body_json(t.get(token, "/api/v1/shipments").await).await;
    let in_list = list["data"]
        .as_array()
        .and_then(|d| d.iter().find(|s| s["tracking_number"] == tn).cloned())
        .unwrap_or_else(|| panic!("{tn} listed: {list}"));
    let batch = t
        .post(
            token,
            "/api/v1/tracking:batch-get",
            &json!({"tracking_numbers": [tn]}),
        )
        .await;
    (in_list, expect_json(batch, 200).await["data"][0].clone())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_created_shipment_reads_back_with_the_times_it_was_answered_with() {
    let t = spawn().await;
    let tap = t.env.tap().await;
    let merchant = Uuid::now_v7();
    let token = t.merchant(merchant);

    let resp = t
        .post(&token, "/api/v1/shipments", &shipment_body(merchant))
        .await;
    let created = expect_json(resp, 201).await;

    let tn = created["tracking_number"]
        .as_str()
        .expect("tracking number");
    let got = expect_json(t.get(&token, &format!("/api/v1/shipments/{tn}")).await, 200).await;
    same_times(&created, &got, &TIMES, "the read");
    let (in_list, in_batch) = listed(&t, &token, tn).await;
    same_times(&created, &in_list, &TIMES, "the list");
    same_times(&created, &in_batch, &TIMES, "batch-get");
    let event = tap.next_of_type("shipment.created", WAIT).await;
    same_times(
        &got,
        &event.data,
        &["created_at", "promised_at"],
        "shipment.created",
    );
    t.app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_callers_finer_times_are_kept_and_answered_to_the_microsecond() {
    let t = spawn().await;
    let tap = t.env.tap().await;
    let admin = t.token(Role::Admin);
    let mut body = shipment_body(Uuid::now_v7());
    let promised = Utc::now() + Span::days(2);
    body["promised_at"] = json!(promised.format("%Y-%m-%dT%H:%M:%S.123456789Z").to_string());

    let created = expect_json(t.post(&admin, "/api/v1/shipments", &body).await, 201).await;

    let expected = promised.format("%Y-%m-%dT%H:%M:%S.123456Z").to_string();
    assert_eq!(created["promised_at"], expected, "truncated, not rounded");
    let tn = created["tracking_number"]
        .as_str()
        .expect("tracking number")
        .to_owned();
    let path = format!("/api/v1/shipments/{tn}");
    let got = expect_json(t.get(&admin, &path).await, 200).await;
    same_times(&created, &got, &TIMES, "the read");

    let scanned = Utc::now() - Span::hours(1);
    let scan = json!({"event_id": "fine-1", "status": "in_transit",
        "occurred_at": scanned.format("%Y-%m-%dT%H:%M:%S.987654321Z").to_string()});
    let accepted = t.post(&admin, &format!("{path}/events"), &scan).await;
    expect_json(accepted, 201).await;

    let moved = tap.next_of_type("shipment.status_changed", WAIT).await;
    let got = expect_json(t.get(&admin, &path).await, 200).await;
    let occurred = scanned.format("%Y-%m-%dT%H:%M:%S.987654Z").to_string();
    assert_eq!(got["timeline"][0]["occurred_at"], occurred, "{got}");
    assert_eq!(got["last_event_at"], occurred);
    assert_eq!(
        moved.data["occurred_at"], occurred,
        "the event tells the stored time"
    );
    t.app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_test_delivery_is_answered_as_the_deliveries_list_shows_it() {
    let t = spawn().await;
    let token = t.merchant(Uuid::now_v7());
    let registered = t
        .post(
            &token,
            "/api/v1/webhooks",
            &json!({"url": "https://hooks.example.com/k", "events": ["*"]}),
        )
        .await;
    let id = expect_json(registered, 201).await["id"]
        .as_str()
        .expect("id")
        .to_owned();

    let queued = t
        .post(&token, &format!("/api/v1/webhooks/{id}:test"), &json!({}))
        .await;
    let queued = expect_json(queued, 202).await;

    let list = body_json(
        t.get(&token, &format!("/api/v1/webhooks/{id}/deliveries"))
            .await,
    )
    .await;
    let listed = list["data"]
        .as_array()
        .and_then(|d| d.iter().find(|x| x["id"] == queued["id"]).cloned())
        .unwrap_or_else(|| panic!("the test delivery listed: {list}"));
    same_times(&queued, &listed, &["created_at"], "the deliveries list");
    t.app.stop().await;
}
