//! The mobile app's journey through the gateway: it signs in as a system client (OAuth2 client
//! credentials, role `app`), exchanges a person's verified phone for a customer token, and with
//! that token sees the parcels sent to that phone and those sent by that person (a merchant's
//! customer file holding the phone, learnt from the customers service's events) — and no one
//! else's.

use kuaidi_shared::testing::expect_json as json_of;
use kuaidi_tests::Suite;
use serde_json::{json, Value};
use uuid::Uuid;

fn parcel_to(phone: &str) -> Value {
    json!({
        "recipient": {"name": "王五", "phone": phone, "address": "人民路 1 号", "city": "杭州"},
        "origin": {"city": "上海"}, "destination": {"city": "杭州"},
        "service_level": "standard", "weight_kg": 2.0, "freight": {"amount": "8.00", "currency": "CNY"},
        "merchant_id": Uuid::now_v7()
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_app_lists_a_customers_parcels_with_a_customer_token_minted_for_their_phone() {
    let suite = Suite::start().await;
    let admin = suite.admin_token().await;
    let app = suite.app_token(&admin).await;
    let mine = json_of(
        suite
            .post(&admin, "/api/v1/shipments", &parcel_to("13812345678"))
            .await,
        201,
    )
    .await;
    let theirs = json_of(
        suite
            .post(&admin, "/api/v1/shipments", &parcel_to("13900001111"))
            .await,
        201,
    )
    .await;

    let customer = suite.customer_token(&app, "+86 138 1234 5678").await;
    let listed = json_of(suite.get(&customer, "/api/v1/shipments").await, 200).await;

    let numbers = kuaidi_shared::testing::strings(&listed["data"], "tracking_number");
    assert_eq!(
        numbers,
        vec![mine["tracking_number"].as_str().expect("tn")],
        "only the parcel sent to this phone, not {}",
        theirs["tracking_number"]
    );
    suite.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_app_shows_a_customer_the_parcels_they_sent_with_the_recipient_masked() {
    let suite = Suite::start().await;
    let admin = suite.admin_token().await;
    let chen = suite.sender(&admin).await;
    let mut sent = parcel_to("13900001111");
    sent["merchant_id"] = json!(chen.merchant_id);
    sent["shipper_customer_id"] = chen.file["id"].clone();
    let sent = suite
        .once_known("the merchant's customer known to shipments", 201, || {
            suite.post(&chen.merchant, "/api/v1/shipments", &sent)
        })
        .await;
    let mut by_stranger = parcel_to("13900001111");
    by_stranger["merchant_id"] = json!(chen.merchant_id);
    let stranger = suite.ship(&chen.merchant, &by_stranger).await;
    let path = |s: &Value| {
        format!(
            "/api/v1/shipments/{}",
            s["tracking_number"].as_str().expect("tn")
        )
    };

    let sent_path = path(&sent);
    let theirs = suite
        .once_known("the sender's phone known to shipments", 200, || {
            suite.get(&chen.token, &sent_path)
        })
        .await;

    assert_eq!(theirs["shipper_customer_id"], chen.file["id"]);
    assert_eq!(
        theirs["recipient"]["address"], "***",
        "王五's address is not chen's"
    );
    assert!(!theirs.to_string().contains("13900001111"), "{theirs}");
    let listed = json_of(suite.get(&chen.token, "/api/v1/shipments").await, 200).await;
    assert_eq!(listed["data"].as_array().map(Vec::len), Some(1), "{listed}");
    assert_eq!(
        listed["data"][0]["tracking_number"],
        sent["tracking_number"]
    );
    assert_eq!(suite.get(&chen.token, &path(&stranger)).await.status(), 404);
    suite.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_foreign_number_is_never_taken_for_the_mainland_mobile_with_the_same_digits() {
    let suite = Suite::start().await;
    let admin = suite.admin_token().await;
    let app = suite.app_token(&admin).await;
    // +1 312 555 7071 and 131 2555 7071 are the same eleven digits, two people.
    let abroad = json_of(
        suite
            .post(&admin, "/api/v1/shipments", &parcel_to("+1 (312) 555-7071"))
            .await,
        201,
    )
    .await;
    let home = json_of(
        suite
            .post(&admin, "/api/v1/shipments", &parcel_to("131 2555 7071"))
            .await,
        201,
    )
    .await;
    let body =
        json!({"kind": "individual", "name": "Chicago person", "phones": ["+1 (312) 555-7071"]});
    let file = json_of(suite.post(&admin, "/api/v1/customers", &body).await, 201).await;
    assert_eq!(file["phones"], json!(["+13125557071"]), "kept in E.164");

    for (phone, parcel) in [("13125557071", &home), ("001 312 555 7071", &abroad)] {
        let token = suite.customer_token(&app, phone).await;
        let listed = json_of(suite.get(&token, "/api/v1/shipments").await, 200).await;
        let numbers = kuaidi_shared::testing::strings(&listed["data"], "tracking_number");
        assert_eq!(
            numbers,
            vec![parcel["tracking_number"].as_str().expect("tn")],
            "{phone}"
        );
    }
    let mainland = suite.customer_token(&app, "13125557071").await;
    let me = suite.get(&mainland, "/api/v1/customers/me").await;
    assert_eq!(me.status(), 404, "the Chicago person's file is not theirs");
    suite.stop().await;
}
