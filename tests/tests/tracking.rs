//! The merchant's and the public's tracking journey end to end through the gateway: a merchant
//! (by API key) ships, an operator system scans in bulk, anyone tracks, the merchant pulls.

use chrono::{Duration, Utc};
use kuaidi_shared::auth::Role;
use kuaidi_shared::testing::{body_json, send_json};
use kuaidi_tests::Suite;
use serde_json::{json, Value};

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_merchant_ships_scans_arrive_in_bulk_and_anyone_can_track_the_parcel() {
    let suite = Suite::start().await;
    let admin = suite.admin_token().await;
    let merchant = uuid::Uuid::now_v7();
    let key = body_json(
        suite
            .post(
                &admin,
                "/api/v1/api-keys",
                &json!({"name": "shop", "merchant_id": merchant}),
            )
            .await,
    )
    .await;
    let key = key["key"].as_str().expect("key").to_owned();
    let body = json!({
        "recipient": {"name": "张三丰", "phone": "13812345678", "address": "建国路 88 号", "city": "北京"},
        "origin": {"city": "上海", "hub_code": "SHA01"}, "destination": {"city": "北京", "hub_code": "PEK02"},
        "service_level": "express", "weight_kg": 1.0, "freight": {"amount": "15.00", "currency": "CNY"}
    });
    let created = suite
        .env
        .http
        .post(suite.url("/api/v1/shipments"))
        .header("x-api-key", &key)
        .json(&body)
        .send()
        .await
        .expect("sent");
    assert_eq!(created.status(), 201);
    let created: Value = created.json().await.expect("json");
    let tn = created["tracking_number"].as_str().expect("tn").to_owned();
    assert_eq!(created["merchant_id"], json!(merchant));

    let operator = suite.env.token(Role::Operator, None);
    let t0 = Utc::now() - Duration::hours(3);
    let scans = json!({"events": [
        {"tracking_number": tn, "event_id": "e1", "status": "in_transit", "occurred_at": t0.to_rfc3339(), "location": {"hub_code": "SHA01", "city": "上海"}},
        {"tracking_number": tn, "event_id": "e3", "status": "delivered", "substatus": "signed", "occurred_at": (t0 + Duration::hours(2)).to_rfc3339(), "location": {"city": "北京"}},
        {"tracking_number": tn, "event_id": "e2", "status": "out_for_delivery", "occurred_at": (t0 + Duration::hours(1)).to_rfc3339(), "location": {"hub_code": "PEK02", "city": "北京"}},
        {"tracking_number": tn, "event_id": "e1", "status": "in_transit", "occurred_at": t0.to_rfc3339()},
        {"tracking_number": "KD000000000CN", "event_id": "x", "status": "in_transit", "occurred_at": t0.to_rfc3339()}
    ]});
    let results = body_json(
        suite
            .post(&operator, "/api/v1/tracking-events:batch", &scans)
            .await,
    )
    .await;
    let outcome = kuaidi_shared::testing::strings(&results["results"], "result");
    assert_eq!(
        outcome,
        vec!["accepted", "accepted", "accepted", "duplicate", "rejected"]
    );

    let public = suite
        .env
        .http
        .get(suite.url(&format!("/api/v1/tracking/{tn}")))
        .send()
        .await
        .expect("sent");
    assert_eq!(public.status(), 200, "public tracking needs no token");
    let etag = public.headers()["etag"].clone();
    let text = public.text().await.expect("text");
    // HEAD is GET without the content (RFC 9110), on every GET path: a monitor's or a cache's
    // check of a resource, a health probe, the API document.
    let paths = [
        format!("/api/v1/tracking/{tn}"),
        "/healthz".into(),
        "/openapi.json".into(),
    ];
    for path in paths {
        let head = suite
            .env
            .http
            .head(suite.url(&path))
            .send()
            .await
            .expect("sent");
        assert_eq!(head.status(), 200, "HEAD {path}");
        if path.starts_with("/api/v1/tracking") {
            assert_eq!(head.headers()["etag"], etag, "HEAD has GET's ETag");
            let length = head.headers()["content-length"].to_str().expect("ascii");
            assert_eq!(length, text.len().to_string(), "and GET's length");
        }
        assert!(
            head.bytes().await.expect("read").is_empty(),
            "HEAD {path}: no content"
        );
    }
    assert!(
        !text.contains("13812345678") && !text.contains("张三丰"),
        "no PII in public tracking"
    );
    let public: Value = serde_json::from_str(&text).expect("json");
    assert_eq!(public["status"], "delivered");
    let statuses = kuaidi_shared::testing::strings(&public["timeline"], "status");
    assert_eq!(
        statuses,
        vec!["in_transit", "out_for_delivery", "delivered"],
        "oldest first, whatever the arrival order"
    );

    let pulled = send_json(
        suite
            .env
            .http
            .get(suite.url("/api/v1/shipments?updated_since=2020-01-01T00:00:00Z"))
            .header("x-api-key", &key),
    )
    .await;
    assert_eq!(pulled["data"][0]["tracking_number"], tn.as_str());
    assert_eq!(pulled["data"][0]["status"], "delivered");
    let other = suite.env.token(Role::Merchant, Some(uuid::Uuid::now_v7()));
    assert_eq!(
        suite
            .get(&other, &format!("/api/v1/shipments/{tn}"))
            .await
            .status(),
        404
    );
    suite.stop().await;
}

/// SPEC §2 and §5 together: unstorable text (NUL, an unpaired surrogate) inside one event of a
/// batch sent through the gateway rejects that event alone; the others are stored. A retry with
/// the same `Idempotency-Key` is answered the same.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_batch_through_the_gateway_rejects_only_the_events_holding_unstorable_text() {
    let suite = Suite::start().await;
    let admin = suite.admin_token().await;
    let body = json!({
        "recipient": {"name": "张三丰", "phone": "13812345678", "address": "建国路 88 号", "city": "北京"},
        "origin": {"city": "上海"}, "destination": {"city": "北京"}, "merchant_id": uuid::Uuid::now_v7(),
        "service_level": "express", "weight_kg": 1.0, "freight": {"amount": "15.00", "currency": "CNY"}
    });
    let tn = suite.ship(&admin, &body).await["tracking_number"]
        .as_str()
        .expect("tn")
        .to_owned();
    let at = (Utc::now() - Duration::minutes(5)).to_rfc3339();
    let scans = json!({"events": [
        {"tracking_number": tn, "event_id": "g1", "status": "in_transit", "occurred_at": at},
        {"tracking_number": tn, "event_id": "n1", "status": "in_transit", "occurred_at": at, "description": "NUL-HERE"},
        {"tracking_number": tn, "event_id": "LONE-SURROGATE", "status": "in_transit", "occurred_at": at}
    ]});
    // serde_json writes neither: put the raw escapes in.
    let raw = scans
        .to_string()
        .replace("NUL-HERE", r"left\u0000right")
        .replace("LONE-SURROGATE", r"scan\ud800");
    let operator = suite.env.token(Role::Operator, None);
    let send = || {
        suite
            .env
            .http
            .post(suite.url("/api/v1/tracking-events:batch"))
            .bearer_auth(&operator)
            .header("content-type", "application/json")
            .header("idempotency-key", "unstorable-batch-1")
            .body(raw.clone())
            .send()
    };

    let first = send().await.expect("sent");
    assert_eq!(first.status(), 200, "one bad event never rejects the batch");
    let first: Value = first.json().await.expect("json");
    let unstorable = "must not contain NUL or unpaired surrogate characters";
    assert_eq!(
        kuaidi_shared::testing::strings(&first["results"], "result"),
        vec!["accepted", "rejected", "rejected"]
    );
    let reasons = [
        format!("events[1].description {unstorable}"),
        format!("events[2].event_id {unstorable}"),
    ];
    assert_eq!(
        kuaidi_shared::testing::strings(&first["results"], "reason"),
        reasons,
        "the rejected events' reasons name their fields"
    );
    let replay = send().await.expect("sent");
    assert_eq!(replay.status(), 200);
    assert_eq!(
        replay.json::<Value>().await.expect("json"),
        first,
        "replayed"
    );

    let stored = body_json(suite.get(&admin, &format!("/api/v1/shipments/{tn}")).await).await;
    let ids = kuaidi_shared::testing::strings(&stored["timeline"], "event_id");
    assert_eq!(ids, vec!["g1"], "only the good event is stored");
    suite.stop().await;
}
