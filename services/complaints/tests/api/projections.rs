//! What the service does with other services' events: proactive cases for key accounts,
//! merged customers, erased customers, the merchant whose account a customer is.

use kuaidi_shared::auth::Role;
use kuaidi_shared::events::catalogue::{
    CustomerErasedV1, CustomerTierChangedV1, PlaceV1, ShipmentExceptionRaisedV1,
};
use kuaidi_shared::money::Money;
use kuaidi_shared::testing::customer_created;
use serde_json::json;
use uuid::Uuid;

use crate::helpers::{complaint, json_of, merged, shipment, time, Desk};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_key_accounts_lost_parcel_opens_one_proactive_case_for_its_owner() {
    let t = Desk::spawn().await;
    let (customer, owner) = (Uuid::now_v7(), Uuid::now_v7());
    t.publish(
        "customers",
        customer,
        &CustomerTierChangedV1 {
            customer_id: customer,
            merchant_id: None,
            owner_id: Some(owner),
            from: Some("ordinary".into()),
            to: "key".into(),
            spend_12m: Money {
                amount: "900000.00".into(),
                currency: "CNY".into(),
            },
            changed_at: time("2026-11-01T00:00:00Z"),
        },
    )
    .await;
    let parcel = shipment("KD400000001CN", Uuid::now_v7(), customer);
    t.shipment_created(&parcel).await;
    t.until_db(
        "the tier",
        format!("SELECT count(*) AS n FROM customer_projection WHERE customer_id = '{customer}'"),
    )
    .await;
    let lost = ShipmentExceptionRaisedV1 {
        shipment_id: parcel.shipment_id,
        tracking_number: parcel.tracking_number.clone(),
        merchant_id: parcel.merchant_id,
        shipper_customer_id: Some(customer),
        substatus: Some("lost".into()),
        occurred_at: time("2026-11-21T08:00:00Z"),
        location: Some(PlaceV1 {
            city: "上海".into(),
            province: None,
            hub_code: Some("SHA01".into()),
        }),
        sequence: 5,
    };

    t.publish("shipments", parcel.shipment_id, &lost).await;
    t.publish(
        "shipments",
        parcel.shipment_id,
        &ShipmentExceptionRaisedV1 {
            sequence: 6,
            ..lost.clone()
        },
    )
    .await;
    t.until_db(
        "the proactive case",
        "SELECT count(*) AS n FROM complaints WHERE proactive".into(),
    )
    .await;
    t.until_db("both events handled", "SELECT count(*) - 1 AS n FROM processed_events WHERE event_type = 'shipment.exception_raised'".into()).await;

    let queue = json_of(
        t.get(
            &t.admin(),
            "/api/v1/complaints?tracking_number=KD400000001CN",
        )
        .await,
        200,
    )
    .await;
    let cases = queue["data"].as_array().expect("data");
    assert_eq!(cases.len(), 1, "once per shipment");
    assert_eq!(cases[0]["proactive"], true);
    assert_eq!(cases[0]["assignee_id"], owner.to_string());
    assert_eq!(
        (
            cases[0]["category"].clone(),
            cases[0]["type"].clone(),
            cases[0]["channel"].clone()
        ),
        (json!("lost"), json!("complaint"), json!("api"))
    );
    assert_eq!(
        cases[0]["priority"], "urgent",
        "high, and a key account one level up"
    );
    t.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_ordinary_customers_damaged_parcel_opens_nothing() {
    let t = Desk::spawn().await;
    let parcel = shipment("KD400000002CN", Uuid::now_v7(), Uuid::now_v7());
    t.shipment_created(&parcel).await;
    t.publish(
        "shipments",
        parcel.shipment_id,
        &ShipmentExceptionRaisedV1 {
            shipment_id: parcel.shipment_id,
            tracking_number: parcel.tracking_number.clone(),
            merchant_id: parcel.merchant_id,
            shipper_customer_id: parcel.shipper_customer_id,
            substatus: Some("damaged".into()),
            occurred_at: time("2026-11-21T08:00:00Z"),
            location: None,
            sequence: 2,
        },
    )
    .await;
    t.until_db(
        "the event handled",
        "SELECT count(*) AS n FROM processed_events WHERE event_type = 'shipment.exception_raised'"
            .into(),
    )
    .await;

    let queue = json_of(t.get(&t.admin(), "/api/v1/complaints").await, 200).await;
    assert_eq!(queue["data"], json!([]));
    t.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn merged_customers_cases_move_to_the_survivor_and_erased_ones_lose_their_words() {
    let t = Desk::spawn().await;
    let (survivor, duplicate, erased) = (Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7());
    let mut body = complaint("delay");
    body["customer_id"] = json!(duplicate);
    t.created(&t.admin(), &body).await;
    body["customer_id"] = json!(erased);
    body["description"] = json!("My name is 张伟, call 13800138000");
    let gone = t.created(&t.admin(), &body).await;

    t.publish("customers", survivor, &merged(survivor, duplicate))
        .await;
    t.publish(
        "customers",
        erased,
        &CustomerErasedV1 {
            customer_id: erased,
            phone_hashes: vec![],
            email_hashes: vec![],
            erased_at: time("2026-11-21T08:00:00Z"),
        },
    )
    .await;
    t.until_db(
        "the merge",
        format!("SELECT count(*) AS n FROM complaints WHERE customer_id = '{survivor}'"),
    )
    .await;
    t.until_db(
        "the erasure",
        "SELECT count(*) AS n FROM complaints WHERE description = '[erased]'".into(),
    )
    .await;

    let survivors = json_of(
        t.get(
            &t.admin(),
            &format!("/api/v1/complaints?customer_id={survivor}"),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(survivors["data"].as_array().expect("data").len(), 1);
    assert_eq!(
        survivors["data"][0]["version"], 2,
        "the merge is a new version of the case (its ETag changes)"
    );
    let scrubbed = json_of(
        t.case(&t.admin(), gone["id"].as_str().expect("id")).await,
        200,
    )
    .await;
    assert_eq!(scrubbed["description"], "[erased]");
    assert_eq!(scrubbed["version"], 2, "so is the erasure");
    t.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_merchant_may_name_only_its_own_customers_in_a_case() {
    let t = Desk::spawn().await;
    let (a, b) = (Uuid::now_v7(), Uuid::now_v7());
    let (mine, theirs) = (Uuid::now_v7(), Uuid::now_v7());
    for (customer, merchant) in [(mine, a), (theirs, b)] {
        let created = customer_created(customer, Some(merchant), time("2026-11-01T00:00:00Z"));
        t.publish("customers", customer, &created).await;
    }
    t.until_db(
        "both merchants' customers",
        "SELECT count(*) - 1 AS n FROM customer_projection WHERE merchant_id IS NOT NULL".into(),
    )
    .await;
    t.shipment_created(&shipment("KD400000009CN", a, mine))
        .await;
    let token = t.env.token(Role::Merchant, Some(a));
    let mut body = complaint("delay");
    body["tracking_number"] = json!("KD400000009CN");

    for (other, what) in [
        (theirs, "another merchant's"),
        (Uuid::now_v7(), "an unknown"),
    ] {
        body["customer_id"] = json!(other);
        let refused = t.create(&token, &body).await;
        assert_eq!(refused.status(), 404, "{what} customer");
        let kind = refused.headers()["content-type"].to_str().expect("ascii");
        assert!(kind.starts_with("application/problem+json"), "{kind}");
    }
    let queue = json_of(t.get(&t.admin(), "/api/v1/complaints").await, 200).await;
    assert_eq!(queue["data"], json!([]), "nothing was opened");

    body["customer_id"] = json!(mine);
    let case = t.created(&token, &body).await;
    assert_eq!(case["customer_id"], json!(mine), "its own customer is fine");
    assert_eq!(
        t.created(&t.admin(), &{
            let mut b = complaint("damaged");
            b["customer_id"] = json!(theirs);
            b
        })
        .await["customer_id"],
        json!(theirs),
        "staff are no tenant"
    );
    t.stop().await;
}
