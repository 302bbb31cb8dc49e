//! Customer files: creation, dedup, masking, tenant isolation, stats from events.

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

fn acme() -> Value {
    json!({
        "kind": "business",
        "name": "Acme Trading",
        "phones": ["+86 138 1234 5678"],
        "emails": ["Ops@Acme.example"],
        "industry": "ecommerce",
        "size": "medium",
        "region": {"city": "杭州", "province": "浙江"},
        "company": {"legal_name": "杭州阿克米贸易有限公司", "credit_code": "91330100MA2XXXXX0A"}
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn created_customer_is_a_prospect_with_derived_city_tier() {
    let t = TestApp::spawn().await;
    let resp = t.create(&t.token(Role::Admin), "", &acme()).await;
    assert_eq!(resp.status(), 201);
    let location = resp.headers()["location"]
        .to_str()
        .expect("ascii")
        .to_owned();
    let c: Value = resp.json().await.expect("json");
    assert_eq!(
        location,
        format!("/api/v1/customers/{}", c["id"].as_str().expect("id"))
    );
    assert_eq!(c["lifecycle_stage"], "prospect");
    assert_eq!(c["value_tier"], "small");
    assert_eq!(c["region"]["city_tier"], "tier2");
    assert_eq!(
        c["phones"],
        json!(["13812345678"]),
        "admin sees the normalised phone"
    );
    assert_eq!(c["stats"]["shipments_12m"], 0);
    t.app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn same_phone_is_a_409_naming_the_match_unless_duplicates_are_allowed() {
    let t = TestApp::spawn().await;
    let admin = t.token(Role::Admin);
    let first: Value = t
        .create(&admin, "", &acme())
        .await
        .json()
        .await
        .expect("json");
    let other = json!({"kind": "individual", "name": "王五", "phones": ["13812345678"]});

    let dup = t.create(&admin, "", &other).await;
    assert_eq!(dup.status(), 409);
    let problem: Value = dup.json().await.expect("json");
    assert_eq!(problem["code"], "duplicate_customer");
    assert_eq!(problem["matches"][0]["customer_id"], first["id"]);
    assert_eq!(problem["matches"][0]["matched_on"], "phone");

    let allowed = t.create(&admin, "?allow_duplicate=true", &other).await;
    assert_eq!(allowed.status(), 201);
    t.app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pii_is_masked_for_analysts_and_merchants_see_only_their_own_account() {
    let t = TestApp::spawn().await;
    let merchant = Uuid::now_v7();
    let mut body = acme();
    body["merchant_id"] = json!(merchant);
    let c: Value = t
        .create(&t.token(Role::Admin), "", &body)
        .await
        .json()
        .await
        .expect("json");
    let id = c["id"].as_str().expect("id");

    let seen: Value = t
        .get(&t.token(Role::Analyst), id)
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(seen["phones"], json!(["138****5678"]));
    assert_eq!(seen["emails"], json!(["o***@acme.example"]));

    assert_eq!(t.get(&t.merchant(merchant), id).await.status(), 200);
    assert_eq!(t.get(&t.merchant(Uuid::now_v7()), id).await.status(), 404);
    assert_eq!(t.get(&t.token(Role::Operator), id).await.status(), 403);
    assert_eq!(
        t.create(&t.token(Role::Analyst), "", &acme())
            .await
            .status(),
        403,
        "analysts may not write customers"
    );
    t.app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shipment_created_events_feed_stats_once_each() {
    let t = TestApp::spawn().await;
    let admin = t.token(Role::Admin);
    let c: Value = t
        .create(&admin, "", &acme())
        .await
        .json()
        .await
        .expect("json");
    let id: Uuid = c["id"].as_str().expect("id").parse().expect("uuid");
    let shipment = ShipmentCreatedV1 {
        shipment_id: Uuid::now_v7(),
        tracking_number: "KD123456785CN".into(),
        merchant_id: None,
        shipper_customer_id: Some(id),
        service_level: "express".into(),
        origin: PlaceV1 {
            city: "杭州".into(),
            province: None,
            hub_code: None,
        },
        destination: PlaceV1 {
            city: "北京".into(),
            province: None,
            hub_code: None,
        },
        weight_kg: 2.0,
        freight: Money {
            amount: "23.40".into(),
            currency: "CNY".into(),
        },
        declared_value: None,
        cod_amount: None,
        promised_at: None,
        created_at: Utc::now(),
        sequence: 1,
        recipient_phone_hash: None,
    };
    let event = CloudEvent::new(
        "shipments",
        "s1",
        &shipment,
        &RequestContext::detached(),
        Uuid::now_v7(),
        Utc::now(),
    );

    publish(&t.env.amqp, &event).await;
    publish(&t.env.amqp, &event).await; // redelivered: must have no second effect

    let stats = eventually(
        Duration::from_secs(10),
        "stats to show the shipment",
        || async {
            let c: Value = t.get(&admin, &id.to_string()).await.json().await.ok()?;
            (c["stats"]["shipments_12m"] == 1).then(|| c["stats"].clone())
        },
    )
    .await;
    assert_eq!(
        stats["spend_12m"],
        json!({"amount": "23.40", "currency": "CNY"})
    );
    assert!(stats["last_shipment_at"].is_string());
    let second = ShipmentCreatedV1 {
        shipment_id: Uuid::now_v7(),
        ..shipment
    };
    let event2 = CloudEvent::new(
        "shipments",
        "s2",
        &second,
        &RequestContext::detached(),
        Uuid::now_v7(),
        Utc::now(),
    );
    publish(&t.env.amqp, &event2).await;
    eventually(
        Duration::from_secs(10),
        "a second shipment to count",
        || async {
            let c: Value = t.get(&admin, &id.to_string()).await.json().await.ok()?;
            (c["stats"]["shipments_12m"] == 2 && c["stats"]["spend_12m"]["amount"] == "46.80")
                .then_some(())
        },
    )
    .await;
    t.app.stop().await;
}
