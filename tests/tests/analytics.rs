//! Analytics end to end: data seeded through the gateway (shipments, scans, a complaint) reach
//! the KPIs by events, and the dashboard draws them in a real headless Chromium.

use chrono::{Duration, Utc};
use kuaidi_shared::auth::Role;
use kuaidi_shared::events::catalogue::{ComplaintFirstRespondedV1, SurveySubmittedV1};
use kuaidi_shared::events::{CloudEvent, EventPayload};
use kuaidi_shared::request::RequestContext;
use kuaidi_shared::testing::{eventually, publish};
use kuaidi_tests::Suite;
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::process::Command;
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

/// The Chromium binary, installed by `deploy/ensure-chromium.sh` when missing.
fn chromium() -> PathBuf {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../deploy/ensure-chromium.sh");
    let out = Command::new("bash")
        .arg(script)
        .output()
        .expect("ensure-chromium runs");
    assert!(
        out.status.success(),
        "chromium: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    PathBuf::from(String::from_utf8_lossy(&out.stdout).trim().to_owned())
}

/// Runs headless Chromium on `url` with `args`; returns stdout and the console lines.
fn browse(url: &str, args: &[&str]) -> (String, Vec<String>) {
    let out = Command::new(chromium())
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--hide-scrollbars",
        ])
        .args([
            "--enable-logging=stderr",
            "--v=0",
            "--virtual-time-budget=20000",
        ])
        .args(args)
        .arg(url)
        .output()
        .expect("chromium runs");
    let console = String::from_utf8_lossy(&out.stderr)
        .lines()
        .filter(|l| l.contains(":CONSOLE"))
        .map(str::to_owned)
        .collect();
    (String::from_utf8_lossy(&out.stdout).into_owned(), console)
}

/// `name="value"` of the element whose `id` is given, in a dumped DOM.
fn attribute(dom: &str, id: &str, name: &str) -> Option<String> {
    let start = dom.find(&format!("id=\"{id}\""))?;
    let tag_start = dom[..start].rfind('<')?;
    let tag = &dom[tag_start..tag_start + dom[tag_start..].find('>')?];
    let at = tag.find(&format!("{name}=\""))? + name.len() + 2;
    Some(tag[at..at + tag[at..].find('"')?].to_owned())
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
    let row = eventually(
        std::time::Duration::from_secs(20),
        "the seeded figures",
        || async {
            let r: Value = suite.get(&admin, &path).await.json().await.ok()?;
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

    // Through the gateway when it routes /dashboard; else from the service itself (same paths).
    let via_gateway = suite
        .env
        .http
        .get(suite.url("/dashboard"))
        .send()
        .await
        .expect("sent");
    let origin = if via_gateway.status() == 200 {
        suite.gateway.url()
    } else {
        suite.analytics.as_ref().expect("analytics").url()
    };
    let url = format!("{origin}/dashboard#access_token={admin}");
    let (dom, console) = browse(&url, &["--window-size=1280,1800", "--dump-dom"]);
    assert_eq!(
        attribute(&dom, "board", "hidden"),
        None,
        "signed in from the link"
    );
    assert!(
        dom.contains("data-state=\"ready\""),
        "the page loaded its figures: {dom}"
    );
    for chart in [
        "chart-on-time",
        "chart-complaints",
        "chart-sla",
        "chart-csat",
    ] {
        let points: u32 = attribute(&dom, chart, "data-points")
            .and_then(|p| p.parse().ok())
            .unwrap_or(0);
        assert!(points >= 1, "{chart} drew data");
    }
    assert_eq!(
        attribute(&dom, "hotspots", "data-rows").as_deref(),
        Some("1")
    );
    assert!(dom.contains("北京"), "the hotspot's city is shown");
    assert!(
        console.is_empty(),
        "the console stayed silent: {console:#?}"
    );

    let shots = Path::new(env!("CARGO_TARGET_TMPDIR"));
    for (name, size) in [
        ("dashboard.png", "1280,1800"),
        ("dashboard-phone.png", "390,1600"),
    ] {
        let file = shots.join(name);
        let _ = std::fs::remove_file(&file);
        let (_, console) = browse(
            &url,
            &[
                &format!("--window-size={size}"),
                &format!("--screenshot={}", file.display()),
            ],
        );
        assert!(
            file.metadata().map(|m| m.len() > 10_000).unwrap_or(false),
            "{name} written"
        );
        assert!(console.is_empty(), "{console:#?}");
    }
    let (dom, _) = browse(&format!("{origin}/dashboard"), &["--dump-dom"]);
    assert!(
        dom.contains("data-state=\"signed-out\""),
        "without a token: the sign-in form"
    );
    suite.stop().await;
}
