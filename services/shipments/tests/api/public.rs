//! Public tracking: no token, no personal data.

use serde_json::Value;
use uuid::Uuid;

use crate::helpers::{shipment_body, spawn, Shipments, TestApp};

async fn public(t: &TestApp, path: &str) -> reqwest::Response {
    t.env.http.get(t.url(path)).send().await.expect("sent")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn anyone_can_track_a_parcel_without_seeing_who_it_is_for() {
    let t = spawn().await;
    let created: Value = t
        .create(&t.admin(), &shipment_body(Uuid::now_v7()))
        .await
        .json()
        .await
        .expect("json");
    let tn = created["tracking_number"].as_str().expect("tn");

    let resp = public(&t, &format!("/api/v1/tracking/{}", tn.to_lowercase())).await;
    assert_eq!(resp.status(), 200, "no token needed");
    let etag = resp.headers()["etag"].to_str().expect("etag").to_owned();
    let text = resp.text().await.expect("body");
    for secret in [
        "13812345678",
        "张三丰",
        "建国路",
        "recipient\"",
        "merchant_id",
    ] {
        assert!(
            !text.contains(secret),
            "public tracking leaked {secret}: {text}"
        );
    }
    let body: Value = serde_json::from_str(&text).expect("json");
    assert_eq!(body["status"], "pending");
    assert_eq!(body["destination_city"], "北京");
    assert!(body["timeline"].as_array().is_some_and(Vec::is_empty));
    assert!(body.get("recipient_name").is_none());

    let again = t
        .env
        .http
        .get(t.url(&format!("/api/v1/tracking/{tn}")))
        .header("if-none-match", &etag)
        .send()
        .await
        .expect("sent");
    assert_eq!(again.status(), 304, "pollers get 304 while nothing changed");

    let named: Value = public(&t, &format!("/api/v1/tracking/{tn}?phone_last4=5678"))
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(
        named["recipient_name"], "张**",
        "the right last four digits add the masked name"
    );
    let wrong: Value = public(&t, &format!("/api/v1/tracking/{tn}?phone_last4=0000"))
        .await
        .json()
        .await
        .expect("json");
    assert!(wrong.get("recipient_name").is_none());
    assert_eq!(
        public(&t, &format!("/api/v1/tracking/{tn}?phone_last4=12"))
            .await
            .status(),
        422
    );
    assert_eq!(
        public(&t, "/api/v1/tracking/KD000000000CN").await.status(),
        404
    );
    t.app.stop().await;
}
