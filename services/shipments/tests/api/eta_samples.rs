//! The ETA's lane history holds only sane transit times (`delivered_at - created_at` above zero
//! and at most `max_transit_days`), and an estimate is never in the past — on the service's
//! manual clock, moved by the tests.

use chrono::{DateTime, Duration, Utc};
use kuaidi_shared::auth::Role;
use kuaidi_shared::clock::Clock;
use kuaidi_shared::settings::ServiceSettings;
use kuaidi_shared::testing::{expect_json, send_json};
use kuaidi_shipments::configuration::{load_webhooks, TrackingRules};
use kuaidi_shipments::domain::eta::EtaRules;
use serde_json::{json, Value};
use uuid::Uuid;

use crate::helpers::{shipment_body, Shipments, TestApp};

/// The service on a manual clock, with `eta` as its ETA rules.
async fn on_a_manual_clock(eta: EtaRules) -> TestApp {
    TestApp::spawn_with_clock(
        "shipments",
        kuaidi_shipments::startup::MIGRATIONS,
        Clock::manual(Utc::now()),
        move |settings: ServiceSettings| async move {
            let rules = TrackingRules {
                eta,
                ..TrackingRules::DEFAULT
            };
            kuaidi_shipments::startup::build_with_rules(settings, load_webhooks()?, rules).await
        },
    )
    .await
}

/// An express shipment on the lane 成都 → 拉萨 (a lane no other test delivers on).
fn on_the_lane() -> Value {
    let mut body = shipment_body(Uuid::now_v7());
    body["origin"] = json!({"city": "成都", "hub_code": "CTU01"});
    body["destination"] = json!({"city": "拉萨", "hub_code": "LXA01"});
    body
}

async fn create_on_the_lane(t: &TestApp) -> Value {
    expect_json(t.create(&t.admin(), &on_the_lane()).await, 201).await
}

fn tn(shipment: &Value) -> String {
    shipment["tracking_number"]
        .as_str()
        .expect("tracking number")
        .to_owned()
}

fn time(v: &Value) -> DateTime<Utc> {
    v.as_str()
        .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
        .unwrap_or_else(|| panic!("a timestamp, got {v}"))
        .with_timezone(&Utc)
}

fn scan(tn: &str, status: &str, at: DateTime<Utc>) -> Value {
    json!({"tracking_number": tn, "event_id": format!("{tn}-{status}"), "status": status,
           "occurred_at": at.to_rfc3339(), "location": {"city": "拉萨"}})
}

/// 20 shipments created on the lane now and delivered `transit` later (the clock advanced):
/// the lane's samples.
async fn twenty_delivered_after(t: &TestApp, transit: Duration) {
    let mut shipments = Vec::new();
    for _ in 0..20 {
        shipments.push(tn(&create_on_the_lane(t).await));
    }
    t.clock.advance(transit);
    let now = t.clock.now();
    let delivered = shipments.iter().map(|s| scan(s, "delivered", now));
    ingest(t, delivered.collect()).await;
}

/// Posts `events` as one batch and checks every one was accepted.
async fn ingest(t: &TestApp, events: Vec<Value>) {
    let request = t
        .request(
            reqwest::Method::POST,
            "/api/v1/tracking-events:batch",
            &t.env.token(Role::Operator, None),
        )
        .json(&json!({ "events": events }));
    let body = send_json(request).await;
    let results = body["results"].as_array().cloned().unwrap_or_default();
    assert!(
        !results.is_empty() && results.iter().all(|r| r["result"] == "accepted"),
        "every scan accepted: {body}"
    );
}

/// The probe: 20 deliveries on a new lane whose scans (sent in one batch after the creations)
/// say they were delivered 5 h before the shipments were created. Transit times below zero
/// are no sample: the lane has no history, and the next shipment gets the service level's
/// 24 h — before, its ETA was 5 h before its own creation.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deliveries_before_their_shipments_creation_are_no_sample_of_the_lane() {
    let t = on_a_manual_clock(EtaRules::DEFAULT).await;
    let now = t.clock.now();
    let mut events = Vec::new();
    for _ in 0..20 {
        let shipment = tn(&create_on_the_lane(&t).await);
        events.push(scan(&shipment, "in_transit", now - Duration::hours(6)));
        events.push(scan(&shipment, "delivered", now - Duration::hours(5)));
    }
    ingest(&t, events).await;

    let created = create_on_the_lane(&t).await;

    let (eta, at) = (
        time(&created["estimated_delivery_at"]),
        time(&created["created_at"]),
    );
    assert_eq!(
        eta - at,
        Duration::hours(24),
        "express default, the lane having no sane sample: ETA {eta}, created {at}"
    );
    let public = t
        .env
        .http
        .get(t.url(&format!("/api/v1/tracking/{}", tn(&created))))
        .send()
        .await
        .expect("sent");
    let public: Value = public.json().await.expect("json");
    assert_eq!(time(&public["estimated_delivery_at"]), eta, "{public}");
    t.app.stop().await;
}

/// Deliveries longer than `max_transit_days` after their shipment's creation are no sample
/// either: a lane whose every delivery took 2 days, with a 1-day bound, has no history.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deliveries_longer_than_the_bound_are_no_sample_of_the_lane() {
    let bounded = EtaRules {
        max_transit_days: 1,
        ..EtaRules::DEFAULT
    };
    let t = on_a_manual_clock(bounded).await;
    twenty_delivered_after(&t, Duration::days(2)).await;

    let created = create_on_the_lane(&t).await;

    let transit = time(&created["estimated_delivery_at"]) - time(&created["created_at"]);
    assert_eq!(
        transit,
        Duration::hours(24),
        "express default, not the 2 days beyond the bound"
    );
    t.app.stop().await;
}

/// A moving parcel whose lane says it should have arrived already is estimated now, not in the
/// past: the lane delivers in 2 h; a parcel scanned 10 h after its creation gets the scan's
/// time as its ETA (created + 2 h before).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_overdue_parcel_that_moves_is_estimated_now_never_in_the_past() {
    let t = on_a_manual_clock(EtaRules::DEFAULT).await;
    twenty_delivered_after(&t, Duration::hours(2)).await;
    let late = create_on_the_lane(&t).await;
    let created_at = time(&late["created_at"]);
    assert_eq!(
        time(&late["estimated_delivery_at"]) - created_at,
        Duration::hours(2),
        "the lane's p80"
    );

    t.clock.advance(Duration::hours(10));
    let now = t.clock.now();
    ingest(&t, vec![scan(&tn(&late), "in_transit", now)]).await;

    let moved: Value = t
        .shipment(&t.admin(), &tn(&late))
        .await
        .json()
        .await
        .expect("json");
    let eta = time(&moved["estimated_delivery_at"]);
    assert!(
        eta >= now - Duration::microseconds(1),
        "an estimate is never in the past: ETA {eta}, now {now}"
    );
    assert!(eta <= now + Duration::seconds(1), "estimated now: {eta}");
    t.app.stop().await;
}
