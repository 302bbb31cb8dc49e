//! Creating and reading waybills.

use kuaidi_shared::auth::Role;
use serde_json::{json, Value};
use std::time::Duration;
use uuid::Uuid;

use crate::helpers::{shipment_body, spawn, Shipments};
use kuaidi_shared::testing::body_json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn created_shipment_gets_an_s10_number_location_and_a_shipment_created_event() {
    let t = spawn().await;
    let tap = t.env.tap().await;
    let merchant = Uuid::now_v7();
    let customer = Uuid::now_v7();
    let mut body = shipment_body(merchant);
    body["shipper_customer_id"] = json!(customer);

    let resp = t.create(&t.admin(), &body).await;

    assert_eq!(resp.status(), 201);
    let location = resp.headers()["location"]
        .to_str()
        .expect("ascii")
        .to_owned();
    let created: Value = resp.json().await.expect("json");
    let tn = created["tracking_number"]
        .as_str()
        .expect("tracking number");
    assert!(
        tn.starts_with("KD") && tn.ends_with("CN") && tn.len() == 13,
        "S10 number, got {tn}"
    );
    assert_eq!(location, format!("/api/v1/shipments/{tn}"));
    assert_eq!(created["status"], "pending");
    assert_eq!(
        created["freight"],
        json!({"amount": "18.50", "currency": "CNY"})
    );
    assert_eq!(
        created["recipient"]["phone"], "13812345678",
        "admin sees PII"
    );
    assert!(
        created["promised_at"].is_string(),
        "promised_at defaults from the service level"
    );

    let event = tap
        .next_of_type("shipment.created", Duration::from_secs(10))
        .await;
    assert_eq!(event.source, "/kuaidi/shipments");
    assert_eq!(event.dataschema, "kuaidi:shipment.created:v1");
    assert!(
        event.traceparent.is_some(),
        "trace context travels with the event"
    );
    assert_eq!(event.data["tracking_number"], tn);
    assert_eq!(event.data["shipper_customer_id"], json!(customer));
    assert_eq!(event.data["freight"]["amount"], "18.50");
    assert_eq!(event.data["service_level"], "express");
    assert_eq!(event.data["origin"]["city"], "上海");
    t.app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn supplied_tracking_numbers_are_validated_and_unique() {
    let t = spawn().await;
    let merchant = Uuid::now_v7();
    let mut body = shipment_body(merchant);

    body["tracking_number"] = json!("SF12_345678");
    let bad = t.create(&t.admin(), &body).await;
    assert_eq!(bad.status(), 422, "a number of other characters is refused");
    let problem: Value = bad.json().await.expect("json");
    assert_eq!(problem["errors"][0]["field"], "tracking_number");

    body["tracking_number"] = json!("rr473124829gb");
    let ok = t.create(&t.admin(), &body).await;
    assert_eq!(ok.status(), 201);
    let created: Value = ok.json().await.expect("json");
    assert_eq!(created["tracking_number"], "RR473124829GB");

    let again = t.create(&t.admin(), &body).await;
    assert_eq!(again.status(), 409, "a tracking number is unique");
    t.app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_carriers_numbers_are_accepted_without_an_s10_check_digit() {
    let t = spawn().await;
    for (given, stored) in [
        ("KD123456789CN", "KD123456789CN"),
        ("sf-2026-000123", "SF-2026-000123"),
    ] {
        let mut body = shipment_body(Uuid::now_v7());
        body["tracking_number"] = json!(given);

        let resp = t.create(&t.admin(), &body).await;

        assert_eq!(resp.status(), 201, "{given} is a valid caller number");
        let location = resp.headers()["location"]
            .to_str()
            .expect("ascii")
            .to_owned();
        assert_eq!(location, format!("/api/v1/shipments/{stored}"));
        let created: Value = resp.json().await.expect("json");
        assert_eq!(created["tracking_number"], stored);
        for path in [location, format!("/api/v1/shipments/{given}")] {
            let found = t.get(&t.admin(), &path).await;
            assert_eq!(found.status(), 200, "{path} names the shipment");
        }
        let public = t
            .env
            .http
            .get(t.url(&format!("/api/v1/tracking/{given}")))
            .send()
            .await
            .expect("sent");
        assert_eq!(public.status(), 200, "public tracking of {given}");
    }
    let generated = t.created().await;
    assert!(
        generated["tracking_number"]
            .as_str()
            .is_some_and(|tn| tn.len() == 13 && tn.starts_with("KD") && tn.ends_with("CN")),
        "generated numbers stay S10: {generated}"
    );
    t.app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalid_bodies_get_problem_json_listing_every_field() {
    let t = spawn().await;
    let body = json!({
        "recipient": {"name": "", "phone": "12", "address": "x", "city": "北京"},
        "origin": {"city": "上海"},
        "destination": {"city": "北京"},
        "service_level": "overnight",
        "weight_kg": -1,
        "freight": {"amount": "1.234", "currency": "CNY"},
    });
    let resp = t.create(&t.admin(), &body).await;
    assert_eq!(resp.status(), 422);
    assert_eq!(resp.headers()["content-type"], "application/problem+json");
    let problem: Value = resp.json().await.expect("json");
    let fields = kuaidi_shared::testing::strings(&problem["errors"], "field");
    for f in [
        "recipient.name",
        "recipient.phone",
        "service_level",
        "weight_kg",
        "freight",
        "merchant_id",
    ] {
        assert!(
            fields.contains(&f),
            "{f} should be reported, got {fields:?}"
        );
    }
    assert_eq!(problem["instance"], "/api/v1/shipments");

    let malformed = t
        .env
        .http
        .post(t.url("/api/v1/shipments"))
        .bearer_auth(t.admin())
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .expect("sent");
    assert_eq!(malformed.status(), 400);
    assert_eq!(
        malformed.headers()["content-type"],
        "application/problem+json"
    );
    t.app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn callers_without_a_valid_token_get_401() {
    let t = spawn().await;
    let none = t
        .env
        .http
        .get(t.url("/api/v1/shipments/KD000000000CN"))
        .send()
        .await
        .expect("sent");
    assert_eq!(none.status(), 401);
    assert_eq!(none.headers()["content-type"], "application/problem+json");

    let forged_key = kuaidi_shared::auth::SigningKey::generate();
    let forged = kuaidi_shared::testing::token(&forged_key, Role::Admin, None);
    assert_eq!(t.shipment(&forged, "KD000000000CN").await.status(), 401);
    t.app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn merchants_see_only_their_own_shipments_and_analysts_see_masked_pii() {
    let t = spawn().await;
    let (a, b) = (Uuid::now_v7(), Uuid::now_v7());
    let merchant_a = t.env.token(Role::Merchant, Some(a));
    let merchant_b = t.env.token(Role::Merchant, Some(b));
    let mut body = shipment_body(b);
    body.as_object_mut().expect("object").remove("merchant_id");

    let created = body_json(t.create(&merchant_a, &body).await).await;
    let tn = created["tracking_number"].as_str().expect("tn");
    assert_eq!(
        created["merchant_id"],
        json!(a),
        "merchant comes from the token, not the body"
    );

    assert_eq!(t.shipment(&merchant_a, tn).await.status(), 200);
    assert_eq!(
        t.shipment(&merchant_b, tn).await.status(),
        404,
        "another tenant's shipment is a 404"
    );

    let analyst = t.env.token(Role::Analyst, None);
    let seen: Value = t.shipment(&analyst, tn).await.json().await.expect("json");
    assert_eq!(seen["recipient"]["phone"], "138****5678");
    assert_eq!(seen["recipient"]["name"], "张**");

    let customer = t.env.token(Role::Customer, None);
    assert_eq!(t.create(&customer, &shipment_body(a)).await.status(), 403);
    t.app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unchanged_shipment_answers_304_to_its_etag() {
    let t = spawn().await;
    let created = t.created().await;
    let tn = created["tracking_number"].as_str().expect("tn");
    let first = t.shipment(&t.admin(), tn).await;
    let etag = first.headers()["etag"].to_str().expect("etag").to_owned();
    let second = t
        .revalidate(&t.admin(), &format!("/api/v1/shipments/{tn}"), &etag)
        .await;
    assert_eq!(second.status(), 304);
    t.app.stop().await;
}
