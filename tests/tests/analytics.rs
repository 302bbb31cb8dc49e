//! Analytics end to end: data seeded through the gateway (shipments, scans, a complaint) reach
//! the KPIs by events, and the dashboard, signed in through its form in a real headless
//! Chromium, draws them.

use chrono::{Duration, Utc};
use kuaidi_shared::auth::Role;
use kuaidi_shared::clock::Clock;
use kuaidi_shared::events::catalogue::{
    ComplaintFirstRespondedV1, ComplaintReceivedV1, SurveySubmittedV1,
};
use kuaidi_shared::events::{CloudEvent, EventPayload};
use kuaidi_shared::request::RequestContext;
use kuaidi_shared::testing::{body_json, poll_json, publish};
use kuaidi_tests::browser::Browser;
use kuaidi_tests::Suite;
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use uuid::Uuid;

/// Creates a shipment through the gateway and returns its tracking number.
async fn ship(suite: &Suite, admin: &str, merchant: Uuid, promised_in_hours: i64) -> String {
    let body = json!({
        "recipient": {"name": "张三丰", "phone": "13812345678", "address": "建国路 88 号", "city": "北京"},
        "origin": {"city": "上海", "hub_code": "SHA01"},
        "destination": {"city": "北京", "province": "北京", "hub_code": "PEK02"},
        "service_level": "express", "weight_kg": 1.0, "merchant_id": merchant,
        "freight": {"amount": "15.00", "currency": "CNY"},
        "promised_at": (Utc::now() + Duration::hours(promised_in_hours)).to_rfc3339(),
    });
    let created = suite.post(admin, "/api/v1/shipments", &body).await;
    assert_eq!(
        created.status(),
        201,
        "{}",
        created.text().await.unwrap_or_default()
    );
    let created: Value = created.json().await.expect("json");
    created["tracking_number"]
        .as_str()
        .expect("tracking number")
        .to_owned()
}

/// Publishes what the complaints service emits later in a case's life (a first response in
/// SLA and a satisfied survey), for the SLA and CSAT charts.
async fn handle_case(suite: &Suite, case: &Value) {
    let now = suite.clock.now();
    let base = json!({"complaint_id": case["id"], "number": case["number"], "category": "damaged",
        "city": "北京", "merchant_id": case["merchant_id"]});
    let mut first = base.clone();
    first["received_at"] = json!(now);
    first["responded_at"] = json!(now);
    first["within_sla"] = json!(true);
    let first: ComplaintFirstRespondedV1 = serde_json::from_value(first).expect("payload");
    let mut survey = base;
    survey["survey_id"] = json!(Uuid::now_v7());
    survey["overall"] = json!(4);
    survey["via"] = json!("agent");
    survey["submitted_at"] = json!(now);
    let survey: SurveySubmittedV1 = serde_json::from_value(survey).expect("payload");
    publish(&suite.env.amqp, &event(&first)).await;
    publish(&suite.env.amqp, &event(&survey)).await;
}

fn event<P: EventPayload>(payload: &P) -> CloudEvent {
    let ctx = RequestContext::detached();
    let id = Uuid::now_v7();
    CloudEvent::new(P::PRODUCER, id.to_string(), payload, &ctx, id, Utc::now())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_dashboard_draws_the_kpis_of_data_seeded_through_the_gateway_in_a_real_browser() {
    let suite = Suite::start().await;
    let admin = suite.admin_token().await;
    let operator = suite.env.token(Role::Operator, None);
    let merchant = Uuid::now_v7();
    // Four shipments: two delivered (on time: a scan cannot lie in the future, nor a promise
    // in the past), one damaged, one still travelling.
    let mut tns = Vec::new();
    for promised in [48, 48, 48, 48] {
        tns.push(ship(&suite, &admin, merchant, promised).await);
    }
    let now = Utc::now();
    let scan = |tn: &str, id: &str, status: &str, sub: Option<&str>| {
        json!({
        "tracking_number": tn, "event_id": id, "status": status, "substatus": sub,
        "occurred_at": now.to_rfc3339(), "location": {"hub_code": "PEK02", "city": "北京"}})
    };
    let scans = json!({"events": [
        scan(&tns[0], "a1", "delivered", Some("signed")),
        scan(&tns[1], "b1", "delivered", Some("signed")),
        scan(&tns[2], "c1", "exception", Some("damaged")),
    ]});
    let ingested = suite
        .post(&operator, "/api/v1/tracking-events:batch", &scans)
        .await;
    assert_eq!(ingested.status(), 200);
    let ingested: Value = ingested.json().await.expect("json");
    for result in ingested["results"].as_array().expect("results") {
        assert_eq!(result["result"], "accepted", "{result}");
    }
    let case = suite
        .post(&admin, "/api/v1/complaints", &json!({"type": "complaint", "channel": "phone",
            "description": "the box arrived crushed", "tracking_number": tns[2], "category": "damaged"}))
        .await;
    assert_eq!(
        case.status(),
        201,
        "{}",
        case.text().await.unwrap_or_default()
    );
    let case: Value = case.json().await.expect("json");
    handle_case(&suite, &case).await;

    let today = now.date_naive();
    let path = format!("/api/v1/analytics/kpis?from={today}&to={today}");
    let row = poll_json(
        std::time::Duration::from_secs(20),
        "the seeded figures",
        || suite.get(&admin, &path),
        |r| {
            let row = r["data"][0].clone();
            (row["shipments"] == 4
                && row["delivered"] == 2
                && row["complaints"] == 1
                && row["csat_avg"] == 4.0
                && row["damage_rate"] == 0.25)
                .then_some(row)
        },
    )
    .await;
    assert_eq!(row["on_time_rate"], 1.0);
    assert_eq!(row["complaint_rate_per_10k"], 2500.0);

    // A monitor's or link checker's HEAD finds the page as a browser's GET does.
    let head = suite
        .env
        .http
        .head(suite.url("/dashboard"))
        .send()
        .await
        .expect("sent");
    assert_eq!(head.status(), 200, "HEAD /dashboard");
    assert!(head.headers()["content-type"]
        .to_str()
        .expect("text")
        .starts_with("text/html"));

    let origin = suite.gateway.url();
    let shots = PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
    let (drawn, problems) = tokio::task::spawn_blocking(move || dashboard(&origin, &admin, &shots))
        .await
        .expect("the browser ran");
    for (chart, points) in &drawn.charts {
        assert!(*points >= 1, "{chart} drew data: {drawn:?}");
    }
    assert_eq!(drawn.hotspot_rows, 1, "{drawn:?}");
    assert!(
        drawn.hotspot_text.contains("北京"),
        "the hotspot's city is shown"
    );
    assert!(
        problems.is_empty(),
        "the console stayed silent: {problems:#?}"
    );
    suite.stop().await;
}

/// What the signed-in board showed.
#[derive(Debug)]
struct Drawn {
    charts: Vec<(String, u64)>,
    hotspot_rows: u64,
    hotspot_text: String,
}

const CHARTS: [&str; 4] = [
    "chart-on-time",
    "chart-complaints",
    "chart-sla",
    "chart-csat",
];

/// Drives the dashboard in headless Chromium: signs in through its form, waits for the charts,
/// takes screenshots (desktop and phone), signs out, and opens it again signed in by a link's
/// `#access_token=`. Returns what the board showed and the page's errors.
fn dashboard(origin: &str, admin: &str, shots: &Path) -> (Drawn, Vec<String>) {
    let wait = std::time::Duration::from_secs(30);
    let mut b = Browser::launch(1280, 1800).expect("chromium starts");
    b.open(&format!("{origin}/dashboard"))
        .expect("the page loads");
    b.wait_for("document.body.dataset.state === 'signed-out'", wait)
        .expect("without a token: the sign-in form");
    b.type_into("#sign-in input[name=username]", "admin")
        .expect("typed");
    b.type_into(
        "#sign-in input[name=password]",
        kuaidi_tests::ADMIN_PASSWORD,
    )
    .expect("typed");
    b.click("#sign-in button[type=submit]").expect("clicked");
    b.wait_for("document.body.dataset.state === 'ready'", wait)
        .expect("signed in, the figures loaded");
    let charts = CHARTS
        .iter()
        .map(|id| {
            let points = b
                .eval(&format!(
                    "Number(document.getElementById('{id}').dataset.points || 0)"
                ))
                .expect("points");
            // uPlot drew a canvas of the chart's size.
            let canvas = b
                .eval(&format!(
                    "document.querySelector('#{id} canvas')?.width || 0"
                ))
                .expect("canvas");
            assert!(canvas.as_u64().unwrap_or(0) >= 240, "{id} has a canvas");
            ((*id).to_owned(), points.as_u64().unwrap_or(0))
        })
        .collect();
    let drawn = Drawn {
        charts,
        hotspot_rows: b
            .eval("Number(document.getElementById('hotspots').dataset.rows || 0)")
            .expect("rows")
            .as_u64()
            .unwrap_or(0),
        hotspot_text: b
            .eval("document.getElementById('hotspots').textContent")
            .expect("text")
            .as_str()
            .unwrap_or_default()
            .to_owned(),
    };
    let desktop = shots.join("dashboard.png");
    b.screenshot(&desktop).expect("screenshot");
    // Readable on a phone: nothing wider than the screen.
    b.resize(390, 1600).expect("phone");
    b.wait_for(
        "document.documentElement.scrollWidth <= 390 && [...document.querySelectorAll('.chart canvas')].every(c => c.width <= 390)",
        wait,
    )
    .expect("the board fits a phone");
    let phone = shots.join("dashboard-phone.png");
    b.screenshot(&phone).expect("screenshot");
    for file in [desktop, phone] {
        assert!(
            file.metadata().map(|m| m.len() > 10_000).unwrap_or(false),
            "{} written",
            file.display()
        );
    }
    // The city filter narrows the figures: no complaint in 上海.
    b.type_into("#filters input[name=city]", "上海")
        .expect("typed");
    b.click("#filters button[type=submit]").expect("applied");
    b.wait_for(
        "document.body.dataset.state === 'ready' && document.getElementById('hotspots').dataset.rows === '0'",
        wait,
    )
    .expect("the filtered figures");
    b.click("#sign-out").expect("signed out");
    b.wait_for("document.body.dataset.state === 'signed-out'", wait)
        .expect("the sign-in form again");
    // Opened signed in from another system: the token leaves the address bar. (From another
    // page: a fragment alone would not load the page again.)
    b.open("about:blank").expect("away");
    b.open(&format!("{origin}/dashboard#access_token={admin}"))
        .expect("the link loads");
    b.wait_for("document.body.dataset.state === 'ready'", wait)
        .expect("signed in from the link");
    assert_eq!(
        b.eval("location.href").expect("href"),
        json!(format!("{origin}/dashboard")),
        "the token was removed from the address bar"
    );
    let problems = b.problems();
    (drawn, problems)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn every_analytics_path_answers_through_the_gateway_with_its_rights_and_422s() {
    let start = Utc::now();
    let suite = Suite::start_with_clock(Clock::manual(start)).await;
    let admin = suite.admin_token().await;
    let merchant = Uuid::now_v7();
    // Five complaints today in 广州 about delays: a spike against a quiet history.
    for _ in 0..5 {
        let received: ComplaintReceivedV1 = serde_json::from_value(json!({
            "complaint_id": Uuid::now_v7(), "number": "C1", "type": "complaint",
            "channel": "phone", "category": "delay", "priority": "normal",
            "customer_id": null, "merchant_id": merchant, "tracking_number": null,
            "city": "广州", "received_at": start}))
        .expect("payload");
        publish(&suite.env.amqp, &event(&received)).await;
    }
    let alerts = poll_json(
        std::time::Duration::from_secs(20),
        "the spike's alert",
        || suite.get(&admin, "/api/v1/analytics/alerts?status=open"),
        |r| (r["data"].as_array()?.len() == 1).then_some(r),
    )
    .await;
    let id = alerts["data"][0]["id"].as_str().expect("id");
    let ack = suite
        .post(
            &admin,
            &format!("/api/v1/analytics/alerts/{id}:acknowledge"),
            &json!({}),
        )
        .await;
    assert_eq!(ack.status(), 200);
    let ack: Value = ack.json().await.expect("json");
    assert_eq!(ack["status"], "acknowledged");

    let today = suite.clock.now().date_naive();
    let span = format!("from={today}&to={today}");
    for path in [
        "/api/v1/analytics/kpi-definitions".to_owned(),
        "/api/v1/analytics/segments".to_owned(),
        "/api/v1/analytics/churn-risk".to_owned(),
        format!("/api/v1/analytics/complaint-hotspots?{span}"),
        format!("/api/v1/analytics/staff-performance?{span}"),
        format!("/api/v1/analytics/kpis?{span}&tz=Asia/Shanghai&granularity=week"),
    ] {
        let r = suite.get(&admin, &path).await;
        assert_eq!(r.status(), 200, "{path}");
        assert!(r.json::<Value>().await.is_ok(), "{path}: JSON");
    }
    let hot = body_json(
        suite
            .get(
                &admin,
                &format!("/api/v1/analytics/complaint-hotspots?{span}"),
            )
            .await,
    )
    .await;
    assert_eq!(hot["by_city"][0]["city"], "广州");
    for report in ["kpis", "hotspots", "staff", "segments"] {
        let path = format!("/api/v1/analytics/export?report={report}&format=csv&{span}");
        let r = suite.get(&admin, &path).await;
        assert_eq!(r.status(), 200, "{path}");
        assert!(r.headers()["content-type"]
            .to_str()
            .unwrap_or_default()
            .starts_with("text/csv"));
        let body = r.text().await.expect("csv");
        assert!(body.contains("\r\n"), "{report}: RFC 4180 lines");
    }
    for (path, field) in [
        (
            format!("/api/v1/analytics/kpis?{span}&granularity=year"),
            "granularity",
        ),
        (format!("/api/v1/analytics/kpis?{span}&tz=Mars/Base"), "tz"),
        (
            format!("/api/v1/analytics/kpis?from={today}&to=2000-01-01"),
            "from",
        ),
        (
            "/api/v1/analytics/export?report=everything&format=csv".to_owned(),
            "report",
        ),
    ] {
        let r = suite.get(&admin, &path).await;
        assert_eq!(r.status(), 422, "{path}");
        let problem: Value = r.json().await.expect("problem");
        assert_eq!(problem["errors"][0]["field"], field, "{path}");
    }
    // A merchant: its own figures (named or not); another merchant's are not found; no alerts.
    let own = suite.env.token(Role::Merchant, Some(merchant));
    let theirs = suite
        .get(
            &own,
            &format!(
                "/api/v1/analytics/kpis?{span}&merchant_id={}",
                Uuid::now_v7()
            ),
        )
        .await;
    assert_eq!(theirs.status(), 404, "another merchant's KPIs");
    let mine = suite
        .get(
            &own,
            &format!("/api/v1/analytics/kpis?{span}&merchant_id={merchant}"),
        )
        .await;
    assert_eq!(mine.status(), 200);
    let mine: Value = mine.json().await.expect("json");
    assert_eq!(mine["data"][0]["complaints"], 5, "its own five");
    let alerts = suite.get(&own, "/api/v1/analytics/alerts").await;
    assert_eq!(alerts.status(), 403);
    suite.stop().await;
}
