//! Opening and reading feedback cases.

use chrono::Utc;
use kuaidi_shared::auth::Role;
use kuaidi_shared::events::catalogue::{PlaceV1, ShipmentCreatedV1};
use kuaidi_shared::events::CloudEvent;
use kuaidi_shared::money::Money;
use kuaidi_shared::request::RequestContext;
use kuaidi_shared::testing::{eventually, publish};
use serde_json::{json, Value};
use std::time::Duration;
use uuid::Uuid;

use crate::helpers::TestApp;

fn shipment(tn: &str, merchant: Uuid, customer: Uuid) -> CloudEvent {
    let s = ShipmentCreatedV1 {
        shipment_id: Uuid::now_v7(),
        tracking_number: tn.into(),
        merchant_id: Some(merchant),
        shipper_customer_id: Some(customer),
        service_level: "express".into(),
        origin: PlaceV1 {
            city: "上海".into(),
            province: None,
            hub_code: None,
        },
        destination: PlaceV1 {
            city: "北京".into(),
            province: None,
            hub_code: Some("PEK02".into()),
        },
        weight_kg: 1.0,
        freight: Money {
            amount: "15.00".into(),
            currency: "CNY".into(),
        },
        declared_value: None,
        cod_amount: None,
        promised_at: None,
        created_at: Utc::now(),
        sequence: 1,
    };
    CloudEvent::new(
        "shipments",
        s.shipment_id.to_string(),
        &s,
        &RequestContext::detached(),
        Uuid::now_v7(),
        Utc::now(),
    )
}

/// Publishes a shipment and waits until the service's projection has it (a case for it then
/// picks up the merchant).
async fn known_shipment(t: &TestApp, tn: &str, merchant: Uuid, customer: Uuid) {
    publish(&t.env.amqp, &shipment(tn, merchant, customer)).await;
    let probe = t.env.token(Role::Merchant, Some(merchant));
    eventually(Duration::from_secs(10), "the shipment projection", || async {
        let r = t
            .create(&probe, &json!({"type": "inquiry", "channel": "api", "description": "probe", "tracking_number": tn}))
            .await;
        (r.status() == 201).then_some(())
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_case_gets_a_number_sla_deadlines_a_history_and_a_complaint_received_event() {
    let t = TestApp::spawn().await;
    let tap = t.env.tap().await;

    let resp = t
        .create(&t.admin(), &json!({"type": "complaint", "channel": "phone", "description": "late", "category": "delay"}))
        .await;

    assert_eq!(resp.status(), 201);
    let case: Value = resp.json().await.expect("json");
    let number = case["number"].as_str().expect("number");
    let today = Utc::now().date_naive().format("%Y%m%d").to_string();
    assert_eq!(number, format!("C{today}00001"));
    assert_eq!(case["status"], "received");
    assert_eq!(case["priority"], "normal");
    let created =
        chrono::DateTime::parse_from_rfc3339(case["created_at"].as_str().expect("created"))
            .expect("time");
    let due = chrono::DateTime::parse_from_rfc3339(
        case["sla"]["first_response_due"].as_str().expect("due"),
    )
    .expect("time");
    assert_eq!(
        (due - created).num_minutes(),
        240,
        "normal priority: 4 h to first response"
    );
    assert_eq!(case["sla"]["breached"], false);

    let id = case["id"].as_str().expect("id");
    let history: Value = t
        .env
        .http
        .get(t.url(&format!("/api/v1/complaints/{id}/history")))
        .bearer_auth(t.admin())
        .send()
        .await
        .expect("sent")
        .json()
        .await
        .expect("json");
    assert_eq!(history["data"][0]["action"], "receive");
    assert_eq!(history["data"][0]["to"], "received");

    let event = tap
        .next_of_type("complaint.received", Duration::from_secs(10))
        .await;
    assert_eq!(event.data["number"], number);
    assert_eq!(event.data["category"], "delay");
    let second: Value = t
        .create(
            &t.admin(),
            &json!({"type": "praise", "channel": "web", "description": "great"}),
        )
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(
        second["number"],
        format!("C{today}00002"),
        "numbers count up per day"
    );
    t.app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_enum_values_get_422_naming_each_field_and_operators_may_not_open_cases() {
    let t = TestApp::spawn().await;
    let resp = t
        .create(
            &t.admin(),
            &json!({"type": "rant", "channel": "pigeon", "description": "x", "category": "mood"}),
        )
        .await;
    assert_eq!(resp.status(), 422);
    let problem: Value = resp.json().await.expect("json");
    let fields: Vec<&str> = problem["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .filter_map(|e| e["field"].as_str())
        .collect();
    assert_eq!(fields, vec!["type", "channel", "category"]);

    let operator = t.env.token(Role::Operator, None);
    let refused = t
        .create(
            &operator,
            &json!({"type": "complaint", "channel": "phone", "description": "x"}),
        )
        .await;
    assert_eq!(refused.status(), 403);
    let anonymous = t
        .env
        .http
        .post(t.url("/api/v1/complaints"))
        .json(&json!({}))
        .send()
        .await
        .expect("sent");
    assert_eq!(anonymous.status(), 401);
    t.app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_case_on_a_known_shipment_takes_its_merchant_and_customer_and_is_deduplicated() {
    let t = TestApp::spawn().await;
    let (merchant, customer) = (Uuid::now_v7(), Uuid::now_v7());
    known_shipment(&t, "KD473124829CN", merchant, customer).await;

    let body = json!({"type": "complaint", "channel": "weibo", "description": "box crushed",
        "tracking_number": "kd473124829cn", "category": "damaged"});
    let first = t.create(&t.admin(), &body).await;
    assert_eq!(first.status(), 201);
    let first: Value = first.json().await.expect("json");
    assert_eq!(first["merchant_id"], json!(merchant));
    assert_eq!(first["customer_id"], json!(customer));
    // damaged → high, weibo +1, repeat on the same shipment (the probe inquiry) +1: capped.
    assert_eq!(first["priority"], "urgent");

    let again = t.create(&t.admin(), &body).await;
    assert_eq!(
        again.status(),
        200,
        "same customer, shipment and category within 24 h"
    );
    let again: Value = again.json().await.expect("json");
    assert_eq!(again["id"], first["id"]);
    assert_eq!(again["duplicate_of"], first["id"]);
    t.app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn merchants_open_and_read_cases_for_their_own_shipments_only() {
    let t = TestApp::spawn().await;
    let (a, b) = (Uuid::now_v7(), Uuid::now_v7());
    known_shipment(&t, "SF1234567890", a, Uuid::now_v7()).await;
    let merchant_a = t.env.token(Role::Merchant, Some(a));
    let merchant_b = t.env.token(Role::Merchant, Some(b));
    let body = json!({"type": "complaint", "channel": "api", "description": "lost", "tracking_number": "SF1234567890", "category": "lost"});

    assert_eq!(
        t.create(&merchant_b, &body).await.status(),
        404,
        "not B's shipment"
    );
    let case: Value = t
        .create(&merchant_a, &body)
        .await
        .json()
        .await
        .expect("json");
    let id = case["id"].as_str().expect("id");

    assert_eq!(t.get(&merchant_a, id).await.status(), 200);
    assert_eq!(
        t.get(&merchant_b, id).await.status(),
        404,
        "another tenant's case is a 404"
    );
    t.app.stop().await;
}
