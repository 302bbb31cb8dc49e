//! Impact scope: which live shipments a disruption at a hub or in a city touches.

use chrono::{Duration, Utc};
use kuaidi_shared::auth::Role;
use serde_json::{json, Value};
use uuid::Uuid;

use crate::helpers::{shipment_body, spawn, Shipments, TestApp};
use kuaidi_shared::testing::{body_json, send_json};

async fn scan(t: &TestApp, tn: &str, status: &str, hub: &str, minutes_ago: i64) {
    let operator = t.env.token(Role::Operator, None);
    let at = (Utc::now() - Duration::minutes(minutes_ago)).to_rfc3339();
    let events = json!({"events": [{"tracking_number": tn, "event_id": format!("{tn}-{status}-{hub}"),
        "status": status, "occurred_at": at, "location": {"hub_code": hub, "city": "上海"}}]});
    let scan = t
        .env
        .http
        .post(t.url("/api/v1/tracking-events:batch"))
        .bearer_auth(operator)
        .json(&events);
    let resp = send_json(scan).await;
    assert_eq!(
        resp["results"][0]["result"], "accepted",
        "scan accepted: {resp}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hub_outage_finds_the_live_shipments_that_passed_or_are_bound_through_it() {
    let t = spawn().await;
    let (a, b) = (Uuid::now_v7(), Uuid::now_v7());
    let mut tns = Vec::new();
    for merchant in [a, a, b] {
        let created = body_json(t.create(&t.admin(), &shipment_body(merchant)).await).await;
        tns.push(created["tracking_number"].as_str().expect("tn").to_owned());
    }
    scan(&t, &tns[0], "in_transit", "HZH09", 30).await;
    scan(&t, &tns[1], "in_transit", "HZH09", 20).await;
    scan(&t, &tns[1], "delivered", "PEK02", 10).await;
    let get = |token: String, query: &'static str| {
        let http = t.env.http.clone();
        let url = t.url(&format!("/api/v1/shipments/impact?{query}"));
        async move { http.get(url).bearer_auth(token).send().await.expect("sent") }
    };

    let hub = body_json(get(t.admin(), "hub_code=HZH09").await).await;
    let listed = kuaidi_shared::testing::strings(&hub["data"], "tracking_number");
    assert_eq!(
        listed,
        vec![tns[0].as_str()],
        "scanned there and not delivered"
    );
    assert_eq!(hub["by_merchant"], json!([{"id": a, "shipments": 1}]));

    let bound = body_json(get(t.admin(), "hub_code=PEK02").await).await;
    assert_eq!(
        bound["total"], 2,
        "the two live shipments bound for PEK02: {bound}"
    );
    let merchant_b =
        body_json(get(t.env.token(Role::Merchant, Some(b)), "hub_code=PEK02").await).await;
    assert_eq!(merchant_b["total"], 1, "a merchant sees only its own");
    assert_eq!(get(t.admin(), "").await.status(), 422);

    let tap = t.env.tap().await;
    let notify = notify(&t, "HZH09").await;
    assert_eq!(notify.status(), 202);
    assert_eq!(notify.json::<Value>().await.expect("json")["notified"], 1);
    // The delivered scan's own notification may be relayed after the tap was bound.
    let disruption =
        |e: &kuaidi_shared::events::CloudEvent| e.data["template_id"] == "shipment.disruption";
    let wait = std::time::Duration::from_secs(10);
    let event = tap
        .next_matching("notification.requested", disruption, wait)
        .await;
    assert_eq!(event.data["tracking_number"], tns[0].as_str());
    assert_eq!(event.data["variables"]["reason"], "power outage");
    let eta = event.data["variables"]["eta"].as_str().expect("eta");
    assert!(
        eta.ends_with('Z'),
        "RFC 3339 UTC as every other time: {eta}"
    );
    t.app.stop().await;
}

/// `impact:notify` notifies every affected shipment, a configured chunk per transaction: with
/// chunks of 2, five shipments take three transactions (three outbox rows: two batches of two,
/// one lone event) and all five are notified — no chunk is the last by mistake, none is capped.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn notify_raises_a_notification_for_every_affected_shipment_chunk_by_chunk() {
    use diesel::{Connection, PgConnection, RunQueryDsl};
    use kuaidi_shipments::configuration::{ImpactSettings, TrackingRules};
    use secrecy::ExposeSecret;
    use std::sync::{Arc, Mutex};

    let database = Arc::new(Mutex::new(String::new()));
    let seen = database.clone();
    let t = TestApp::spawn(
        "shipments",
        kuaidi_shipments::startup::MIGRATIONS,
        move |settings: kuaidi_shared::settings::ServiceSettings| async move {
            *seen.lock().expect("lock") = settings.database_url.expose_secret().to_owned();
            let rules = TrackingRules {
                impact: ImpactSettings { notify_chunk: 2 },
                ..TrackingRules::DEFAULT
            };
            let hooks = kuaidi_shipments::configuration::load_webhooks()?;
            kuaidi_shipments::startup::build_with_rules(settings, hooks, rules).await
        },
    )
    .await;
    let merchant = Uuid::now_v7();
    let mut tns = Vec::new();
    for _ in 0..5 {
        let created = body_json(t.create(&t.admin(), &shipment_body(merchant)).await).await;
        tns.push(created["tracking_number"].as_str().expect("tn").to_owned());
    }
    let tap = t.env.tap().await;

    let notify = notify(&t, "PEK02").await;
    assert_eq!(notify.status(), 202);
    assert_eq!(notify.json::<Value>().await.expect("json")["notified"], 5);
    let mut notified = Vec::new();
    for _ in 0..5 {
        let event = tap
            .next_of_type("notification.requested", std::time::Duration::from_secs(10))
            .await;
        notified.push(
            event.data["tracking_number"]
                .as_str()
                .expect("tn")
                .to_owned(),
        );
    }
    notified.sort();
    tns.sort();
    assert_eq!(notified, tns, "each affected shipment notified once");

    #[derive(diesel::QueryableByName)]
    struct Rows {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        rows: i64,
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        events: i64,
    }
    let url = database.lock().expect("lock").clone();
    let mut conn = PgConnection::establish(&url).expect("the service's database");
    let outbox: Rows = diesel::sql_query(
        "SELECT count(*) AS rows, sum(events)::bigint AS events FROM outbox \
         WHERE event_type = 'notification.requested'",
    )
    .get_result(&mut conn)
    .expect("count");
    assert_eq!(
        (outbox.rows, outbox.events),
        (3, 5),
        "three chunks of at most two"
    );
    t.app.stop().await;
}

/// `impact:notify` for the shipments through `hub_code`, by an admin.
async fn notify(t: &TestApp, hub_code: &str) -> reqwest::Response {
    t.env
        .http
        .post(t.url("/api/v1/shipments/impact:notify"))
        .bearer_auth(t.admin())
        .json(&json!({"hub_code": hub_code, "reason": "power outage"}))
        .send()
        .await
        .expect("sent")
}
