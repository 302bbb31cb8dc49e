//! Input that used to be taken and now is refused: scans dated before 2000 (a scanner's reset
//! clock), a merchant creating a shipment for another merchant, and money that is not money
//! (an unknown currency, decimals its currency has not, a stray field, `"1."`).

use kuaidi_shared::auth::Role;
use kuaidi_shared::testing::{expect_json, expect_problem, refused_fields};
use serde_json::{json, Value};
use uuid::Uuid;

use crate::helpers::{shipment_body, spawn, Shipments, TestApp};

async fn scan(t: &TestApp, tn: &str, event_id: &str, occurred_at: &str) -> reqwest::Response {
    let body = json!({"event_id": event_id, "status": "in_transit", "occurred_at": occurred_at});
    let path = format!("/api/v1/shipments/{tn}/events");
    t.post(&t.token(Role::Operator), &path, &body).await
}

fn tn_of(shipment: &Value) -> String {
    shipment["tracking_number"].as_str().expect("tn").to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_scan_dated_before_2000_is_refused_and_leaves_the_shipment_as_it_was() {
    let t = spawn().await;
    let tn = tn_of(&t.created().await);

    for (id, at) in [
        ("epoch", "1970-01-01T00:00:00Z"),
        ("year-0", "0000-01-01T00:00:00Z"),
    ] {
        let resp = scan(&t, &tn, id, at).await;
        assert_eq!(refused_fields(resp).await, ["occurred_at"], "{at}");
    }
    let batch = json!({"events": [
        {"tracking_number": tn, "event_id": "b-epoch", "status": "in_transit",
         "occurred_at": "1999-12-31T23:59:59Z"},
        {"tracking_number": tn, "event_id": "b-import", "status": "in_transit",
         "occurred_at": "2000-01-01T00:00:00Z"},
    ]});
    let op = t.token(Role::Operator);
    let results = expect_json(
        t.post(&op, "/api/v1/tracking-events:batch", &batch).await,
        200,
    )
    .await;

    assert_eq!(results["results"][0]["result"], "rejected", "{results}");
    let reason = results["results"][0]["reason"].as_str().expect("a reason");
    assert!(
        reason.starts_with("occurred_at: must be from 2000-01-01"),
        "{reason}"
    );
    assert_eq!(
        results["results"][1]["result"], "accepted",
        "an old scan from 2000 on is an import: {results}"
    );
    let shipment = expect_json(t.shipment(&t.admin(), &tn).await, 200).await;
    assert_eq!(
        shipment["last_event_at"], "2000-01-01T00:00:00Z",
        "{shipment}"
    );
    assert_eq!(shipment["timeline"].as_array().map(Vec::len), Some(1));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_merchant_naming_another_merchant_is_refused_not_overridden() {
    let t = spawn().await;
    let (own, other) = (Uuid::now_v7(), Uuid::now_v7());
    let merchant = t.merchant(own);

    let problem = expect_problem(t.create(&merchant, &shipment_body(other)).await, 403).await;
    assert!(
        problem["detail"]
            .as_str()
            .is_some_and(|d| d.contains("merchant_id")),
        "the problem names the field: {problem}"
    );
    let mine = expect_json(t.create(&merchant, &shipment_body(own)).await, 201).await;
    assert_eq!(mine["merchant_id"], json!(own), "its own id is fine");
    let mut unnamed = shipment_body(own);
    unnamed
        .as_object_mut()
        .expect("object")
        .remove("merchant_id");
    let taken = expect_json(t.create(&merchant, &unnamed).await, 201).await;
    assert_eq!(
        taken["merchant_id"],
        json!(own),
        "none: taken from the token"
    );
    let staff = expect_json(t.create(&t.admin(), &shipment_body(other)).await, 201).await;
    assert_eq!(
        staff["merchant_id"],
        json!(other),
        "staff name any merchant"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn money_must_be_an_accepted_currency_with_its_own_decimals_and_nothing_else() {
    let t = spawn().await;
    let with_freight = |freight: Value| {
        let mut body = shipment_body(Uuid::now_v7());
        body["freight"] = freight;
        body
    };
    for freight in [
        json!({"amount": "1.00", "currency": "ZZZ"}),
        json!({"amount": "1.50", "currency": "JPY"}),
        json!({"amount": "1.", "currency": "CNY"}),
        json!({"amount": ".5", "currency": "CNY"}),
        json!({"amount": "1.00", "currency": "CNY", "x": 1}),
    ] {
        let fields =
            refused_fields(t.create(&t.admin(), &with_freight(freight.clone())).await).await;
        assert!(
            fields.len() == 1 && fields[0].starts_with("freight"),
            "{freight}: {fields:?}"
        );
    }
    let mut declared = with_freight(json!({"amount": "1500", "currency": "JPY"}));
    declared["declared_value"] = json!({"amount": "1.5", "currency": "JPY"});
    let fields = refused_fields(t.create(&t.admin(), &declared).await).await;
    assert_eq!(fields, ["declared_value"]);

    let yen = with_freight(json!({"amount": "1500", "currency": "JPY"}));
    let created = expect_json(t.create(&t.admin(), &yen).await, 201).await;
    assert_eq!(
        created["freight"],
        json!({"amount": "1500", "currency": "JPY"}),
        "yen are whole, as given"
    );
    let read = expect_json(t.shipment(&t.admin(), &tn_of(&created)).await, 200).await;
    assert_eq!(read["freight"], created["freight"]);
}
