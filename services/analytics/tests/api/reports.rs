//! Segments, churn risk, complaint hotspots, staff performance, early-warning alerts, CSV
//! exports and the dashboard page.

use chrono::{DateTime, TimeDelta, TimeZone, Utc};
use kuaidi_shared::auth::Role;
use kuaidi_shared::events::catalogue::*;
use kuaidi_shared::money::Money;
use serde_json::{json, Value};
use std::time::Duration;
use uuid::Uuid;

use crate::helpers::{complaint, delivered, payload, shipment, TestApp};

fn at(day: u32, h: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, day, h, 0, 0)
        .single()
        .expect("time")
}

fn customer(merchant: Uuid, tier: &str, stage: &str) -> CustomerCreatedV1 {
    CustomerCreatedV1 {
        city: Some("上海".into()),
        value_tier: tier.into(),
        lifecycle_stage: stage.into(),
        ..kuaidi_shared::testing::customer_created(Uuid::now_v7(), Some(merchant), at(1, 8))
    }
}

fn tier(c: &CustomerCreatedV1, to: &str, spend: &str) -> CustomerTierChangedV1 {
    CustomerTierChangedV1 {
        customer_id: c.customer_id,
        merchant_id: c.merchant_id,
        owner_id: None,
        from: None,
        to: to.into(),
        spend_12m: Money {
            amount: spend.into(),
            currency: "CNY".into(),
        },
        changed_at: at(2, 8),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn segments_show_tiers_with_value_shares_the_pareto_curve_rfm_and_stages() {
    let t = TestApp::spawn_at(at(25, 23)).await;
    let merchant = Uuid::now_v7();
    let cs: Vec<_> = ["key", "ordinary", "ordinary", "small"]
        .iter()
        .map(|tr| customer(merchant, tr, "active"))
        .collect();
    // The spend is the shipments' freight; what a tier change says is not counted again.
    for (c, spend) in cs.iter().zip(["8000.00", "1000.00", "900.00", "100.00"]) {
        t.emit(c, c.created_at).await;
        t.emit(&tier(c, &c.value_tier, spend), at(2, 8)).await;
        let mut s = shipment(merchant, at(20, 9));
        s.shipper_customer_id = Some(c.customer_id);
        s.freight.amount = spend.into();
        t.emit(&s, s.created_at).await;
    }
    let other = customer(Uuid::now_v7(), "key", "new");
    t.emit(&other, other.created_at).await;

    let admin = t.admin();
    let all = t
        .get_when(&admin, "/api/v1/analytics/segments", "5 customers", |s| {
            s["customers"] == 5 && s["rfm"].as_array().is_some_and(|r| !r.is_empty())
        })
        .await;
    assert_eq!(
        all["lifecycle_stages"],
        json!([
        {"stage": "active", "customers": 4}, {"stage": "new", "customers": 1}])
    );
    let mine = t
        .get_when(
            &t.merchant_token(merchant),
            "/api/v1/analytics/segments",
            "4 of mine",
            |s| s["customers"] == 4,
        )
        .await;
    let key = &mine["value_tiers"][0];
    assert_eq!(key["tier"], "key");
    assert_eq!(key["customers"], 1);
    assert_eq!(key["value"]["amount"], "8000.00");
    assert_eq!(key["value_share"], 0.8);
    assert_eq!(key["customer_share"], 0.25);
    let pareto = mine["pareto"].as_array().expect("pareto");
    assert_eq!(pareto.len(), 4, "four customers: four non-empty deciles");
    assert_eq!(
        pareto[0],
        json!({"customer_share": 0.25, "value_share": 0.8})
    );
    assert_eq!(
        pareto[3],
        json!({"customer_share": 1.0, "value_share": 1.0})
    );
    let rfm_total: i64 = mine["rfm"]
        .as_array()
        .expect("rfm")
        .iter()
        .map(|c| c["customers"].as_i64().expect("count"))
        .sum();
    assert_eq!(rfm_total, 4, "every shipping customer scored once");
    assert_eq!(
        t.get(&t.token(Role::Agent), "/api/v1/analytics/segments")
            .await
            .status(),
        403
    );
    t.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn churn_risk_lists_customers_at_risk_with_the_drop_until_they_recover() {
    let t = TestApp::spawn_at(at(25, 23)).await;
    let merchant = Uuid::now_v7();
    let (falling, recovered) = (
        customer(merchant, "key", "active"),
        customer(merchant, "small", "active"),
    );
    for c in [&falling, &recovered] {
        t.emit(c, c.created_at).await;
        let risk = CustomerChurnRiskDetectedV1 {
            customer_id: c.customer_id,
            merchant_id: Some(merchant),
            owner_id: None,
            baseline_monthly: 20.0,
            last_30d: 5,
            drop_ratio: 0.75,
            detected_at: at(20, 3),
        };
        t.emit(&risk, at(20, 3)).await;
    }
    let back = CustomerStageChangedV1 {
        customer_id: recovered.customer_id,
        merchant_id: Some(merchant),
        owner_id: None,
        from: Some("at_risk".into()),
        to: "active".into(),
        changed_at: at(22, 3),
    };
    t.emit(&back, at(22, 3)).await;
    let marker = customer(merchant, "small", "new");
    t.emit(&marker, marker.created_at).await;

    let page = t
        .get_when(
            &t.admin(),
            "/api/v1/analytics/segments",
            "all handled",
            |s| s["customers"] == 3,
        )
        .await;
    assert_eq!(page["customers"], 3);
    let risks = t.get_json(&t.admin(), "/api/v1/analytics/churn-risk").await;
    let data = risks["data"].as_array().expect("data");
    assert_eq!(
        data.len(),
        1,
        "the recovered customer is no longer at risk: {risks}"
    );
    assert_eq!(data[0]["customer_id"], json!(falling.customer_id));
    assert_eq!(data[0]["drop_ratio"], 0.75);
    assert_eq!(data[0]["last_30d"], 5);
    assert_eq!(data[0]["baseline_monthly"], 20.0);
    let theirs = t
        .get_json(
            &t.merchant_token(Uuid::now_v7()),
            "/api/v1/analytics/churn-risk",
        )
        .await;
    assert_eq!(
        theirs["data"],
        json!([]),
        "another merchant sees none of them"
    );
    t.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hotspots_count_by_category_city_and_hub_against_the_previous_period() {
    let t = TestApp::spawn_at(at(25, 23)).await;
    let merchant = Uuid::now_v7();
    let s = shipment(merchant, at(18, 8));
    t.emit(&s, s.created_at).await;
    // Previous week (18–21): one delay complaint in Beijing. This week (22–25): three, two
    // about the same parcel.
    let mut n = 0;
    for (day, tracked) in [(19, false), (23, true), (24, true), (25, false)] {
        let mut c = complaint(merchant, at(day, 10));
        if tracked {
            c.tracking_number = Some(s.tracking_number.clone());
        }
        t.emit(&c, c.received_at).await;
        n += 1;
    }
    assert_eq!(n, 4);
    let h = t
        .get_when(
            &t.admin(),
            "/api/v1/analytics/complaint-hotspots?from=2026-11-22&to=2026-11-25",
            "3 this week",
            |h| h["by_city"][0]["complaints"] == 3,
        )
        .await;
    assert_eq!(h["previous_from"], "2026-11-18");
    assert_eq!(h["previous_to"], "2026-11-21");
    assert_eq!(
        h["by_city"][0],
        json!({"category": "delay", "city": "北京", "complaints": 3,
        "previous": 1, "change": 2, "change_rate": 2.0})
    );
    assert_eq!(h["by_hub"][0]["hub"], "PEK02");
    assert_eq!(
        h["by_hub"][0]["complaints"], 2,
        "the two about the parcel took its hub"
    );
    assert_eq!(
        h["top_tracking_numbers"],
        json!([{"tracking_number": s.tracking_number,
        "complaints": 2, "categories": ["delay"], "hub": "PEK02", "city": "北京"}])
    );
    assert_eq!(
        h["top_hubs"][0],
        json!({"hub": "PEK02", "complaints": 2, "previous": 0})
    );
    let bad = t
        .get(
            &t.admin(),
            "/api/v1/analytics/complaint-hotspots?from=2026-11-30&to=2026-11-01",
        )
        .await;
    assert_eq!(bad.status(), 422);
    t.stop().await;
}

fn handled(c: &ComplaintReceivedV1, handler: Uuid) -> Value {
    json!({"complaint_id": c.complaint_id, "merchant_id": c.merchant_id, "category": c.category,
           "city": c.city, "assignee_id": handler})
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn staff_performance_gives_each_handler_closings_median_sla_csat_and_reopens() {
    let t = TestApp::spawn_at(at(25, 23)).await;
    let merchant = Uuid::now_v7();
    let (alice, bob, carol) = (Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7());
    // Alice closes three cases in 2, 4 and 30 hours; Bob one in 10 hours, reopened.
    for (handler, hours) in [(alice, 2), (alice, 4), (alice, 30), (bob, 10)] {
        let c = complaint(merchant, at(20, 0));
        t.emit(&c, c.received_at).await;
        let base = handled(&c, handler);
        let first: ComplaintFirstRespondedV1 = payload(
            &base,
            json!({"received_at": at(20, 0),
            "responded_at": at(20, 1), "within_sla": true}),
        );
        t.emit(&first, at(20, 1)).await;
        let closed_at = at(20, 0) + TimeDelta::hours(hours);
        let closed: ComplaintClosedV1 = payload(
            &base,
            json!({"received_at": at(20, 0),
            "closed_at": closed_at, "type": "complaint"}),
        );
        t.emit(&closed, closed_at).await;
        let survey: SurveySubmittedV1 = payload(
            &base,
            json!({"survey_id": Uuid::now_v7(),
            "overall": 4, "via": "agent", "submitted_at": at(22, 0)}),
        );
        t.emit(&survey, at(22, 0)).await;
        if handler == bob {
            let reopened: ComplaintReopenedV1 = payload(
                &base,
                json!({"reason": "no",
                "reopened_at": at(23, 0)}),
            );
            t.emit(&reopened, at(23, 0)).await;
            // Reopened, the case goes to Carol: Bob's closing stays Bob's, median included.
            let carol = json!({"assignee_id": carol, "department": "customer_service",
                "assigned_at": at(23, 1)});
            let moved: ComplaintAssignedV1 = payload(&base, carol);
            t.emit(&moved, at(23, 1)).await;
        }
    }
    let path = "/api/v1/analytics/staff-performance?from=2026-11-20&to=2026-11-25";
    let report = t
        .get_when(
            &t.token(Role::Supervisor),
            path,
            "bob reopened, carol's",
            |r| r["data"][1]["reopened"] == 1 && r["data"][2]["handler_id"] == json!(carol),
        )
        .await;
    let carols = &report["data"][2];
    assert_eq!(carols["cases_closed"], 0, "{report}");
    assert_eq!(
        carols["median_resolution_hours"],
        Value::Null,
        "not Bob's closing: {report}"
    );
    assert_eq!(
        report["data"][0],
        json!({"handler_id": alice, "cases_closed": 3,
        "median_resolution_hours": 4.0, "first_responses": 3, "first_response_sla_rate": 1.0,
        "surveys": 3, "csat_avg": 4.0, "reopened": 0, "reopen_rate": 0.0})
    );
    assert_eq!(report["data"][1]["reopen_rate"], 1.0);
    assert_eq!(report["data"][1]["median_resolution_hours"], 10.0);
    let own: Value = t.get(&t.agent(bob), path).await.json().await.expect("json");
    assert_eq!(
        own["data"].as_array().map(Vec::len),
        Some(1),
        "an agent sees their own row"
    );
    assert_eq!(own["data"][0]["handler_id"], json!(bob));
    assert_eq!(t.get(&t.merchant_token(merchant), path).await.status(), 403);
    t.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_complaint_spike_and_a_falling_hub_raise_one_alert_each_that_can_be_acknowledged() {
    // 23:00 on the 25th in Shanghai, the business day of the rules.
    let t = TestApp::spawn_at(at(25, 15)).await;
    let tap = t.env.tap().await;
    let merchant = Uuid::now_v7();
    for i in 0..5 {
        let c = complaint(merchant, at(25, 10 + i));
        t.emit(&c, c.received_at).await;
    }
    // PEK02 delivered on time for three days, late today.
    for (day, on_time) in [(22, true), (23, true), (24, true), (25, false)] {
        let s = shipment(merchant, at(day, 1));
        t.emit(&s, s.created_at).await;
        t.emit(&delivered(&s, at(day, 12), on_time), at(day, 12))
            .await;
    }
    let admin = t.admin();
    let open = t
        .get_when(
            &admin,
            "/api/v1/analytics/alerts?status=open",
            "two alerts",
            |p| p["data"].as_array().is_some_and(|d| d.len() == 2),
        )
        .await;
    let kinds: Vec<_> = open["data"]
        .as_array()
        .expect("data")
        .iter()
        .map(|a| a["kind"].clone())
        .collect();
    assert!(kinds.contains(&json!("complaint_spike")) && kinds.contains(&json!("on_time_drop")));
    let spike = open["data"]
        .as_array()
        .expect("data")
        .iter()
        .find(|a| a["kind"] == "complaint_spike")
        .expect("spike")
        .clone();
    assert_eq!(
        (spike["city"].clone(), spike["category"].clone()),
        (json!("北京"), json!("delay"))
    );
    assert_eq!(spike["observed"], 5.0);
    assert_eq!(spike["day"], "2026-11-25");
    let event = tap
        .next_of_type("analytics.alert_raised", Duration::from_secs(10))
        .await;
    assert!(
        ["complaint_spike", "on_time_drop"].contains(&event.data["kind"].as_str().unwrap_or(""))
    );
    // The job keeps running: still one alert per condition today.
    t.clock.advance(TimeDelta::minutes(30));
    let id = spike["id"].as_str().expect("id");
    let ack = t
        .post(
            &admin,
            &format!("/api/v1/analytics/alerts/{id}:acknowledge"),
            &json!({}),
        )
        .await;
    assert_eq!(ack.status(), 200);
    let ack: Value = ack.json().await.expect("json");
    assert_eq!(ack["status"], "acknowledged");
    let again = t
        .post(
            &admin,
            &format!("/api/v1/analytics/alerts/{id}:acknowledge"),
            &json!({}),
        )
        .await;
    assert_eq!(again.status(), 409);
    let missing = t
        .post(
            &admin,
            &format!("/api/v1/analytics/alerts/{}:acknowledge", Uuid::now_v7()),
            &json!({}),
        )
        .await;
    assert_eq!(missing.status(), 404);
    let all = t.get_json(&admin, "/api/v1/analytics/alerts").await;
    assert_eq!(
        all["data"].as_array().map(Vec::len),
        Some(2),
        "no duplicate after more runs"
    );
    let acked = t
        .get_json(&admin, "/api/v1/analytics/alerts?status=acknowledged")
        .await;
    assert_eq!(acked["data"][0]["id"], spike["id"]);
    assert_eq!(
        t.get(&admin, "/api/v1/analytics/alerts?status=closed")
            .await
            .status(),
        422
    );
    assert_eq!(
        t.get(&t.merchant_token(merchant), "/api/v1/analytics/alerts")
            .await
            .status(),
        403
    );
    t.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn alerts_count_the_business_day_of_shanghai_which_begins_at_16_utc() {
    // 00:30 on the 26th in Shanghai, still the 25th in UTC.
    let now = at(25, 16) + TimeDelta::minutes(30);
    let t = TestApp::spawn_at(now).await;
    let merchant = Uuid::now_v7();
    // Five complaints late on the 25th (local) and five just after local midnight: one UTC
    // day, two business days.
    for minutes in [-60, -50, -40, -35, -31, 0, 5, 10, 15, 20] {
        let c = complaint(merchant, at(25, 16) + TimeDelta::minutes(minutes));
        t.emit(&c, c.received_at).await;
    }
    let admin = t.admin();
    let open = t
        .get_when(
            &admin,
            "/api/v1/analytics/alerts?status=open",
            "the spike",
            |p| p["data"].as_array().is_some_and(|d| !d.is_empty()),
        )
        .await;
    let alerts = open["data"].as_array().expect("data");
    assert_eq!(alerts.len(), 1, "{open}");
    assert_eq!(
        alerts[0]["day"], "2026-11-26",
        "the local day, not the UTC one"
    );
    assert_eq!(alerts[0]["observed"], 5.0, "only today's local complaints");
    t.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exports_are_rfc4180_csv_with_the_same_filters_and_rights() {
    let t = TestApp::spawn_at(at(25, 23)).await;
    let (mine, theirs) = (Uuid::now_v7(), Uuid::now_v7());
    for m in [mine, mine, theirs] {
        let s = shipment(m, at(25, 9));
        t.emit(&s, s.created_at).await;
    }
    let path = "/api/v1/analytics/kpis?from=2026-11-25&to=2026-11-25";
    t.get_when(&t.admin(), path, "3 shipments", |r| {
        r["data"][0]["shipments"] == 3
    })
    .await;

    let csv = t
        .get(&t.merchant_token(mine), &format!("/api/v1/analytics/export?report=kpis&format=csv&from=2026-11-25&to=2026-11-25&merchant_id={mine}"))
        .await;
    assert_eq!(csv.status(), 200);
    assert_eq!(csv.headers()["content-type"], "text/csv; charset=utf-8");
    let body = csv.text().await.expect("text");
    let lines: Vec<_> = body.split("\r\n").collect();
    assert!(
        lines[0].starts_with("period_start,period_end,shipments,delivered,on_time_rate"),
        "{}",
        lines[0]
    );
    assert!(
        lines[1].starts_with("2026-11-25,2026-11-25,2,0,,0.0,0.0,0.0,,0,0.0,"),
        "its own 2 shipments: {}",
        lines[1]
    );
    assert!(lines[1].ends_with(",0.00"), "claims paid: {}", lines[1]);
    assert_eq!(lines.len(), 3, "header, one row, the final CRLF");
    let bad = t
        .get(
            &t.admin(),
            "/api/v1/analytics/export?report=pies&format=xlsx&colour=red",
        )
        .await;
    assert_eq!(bad.status(), 422);
    let problem: Value = bad.json().await.expect("json");
    let fields: Vec<_> = problem["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .map(|e| e["field"].clone())
        .collect();
    assert_eq!(
        fields,
        vec![json!("report"), json!("format"), json!("colour")]
    );
    for report in ["hotspots", "staff", "segments"] {
        let r = t
            .get(
                &t.admin(),
                &format!("/api/v1/analytics/export?report={report}"),
            )
            .await;
        assert_eq!(r.status(), 200, "{report}");
        assert!(
            r.text().await.expect("text").contains("\r\n"),
            "{report} has a header line"
        );
    }
    assert_eq!(
        t.get(
            &t.merchant_token(mine),
            "/api/v1/analytics/export?report=staff"
        )
        .await
        .status(),
        403
    );
    t.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_dashboard_page_and_its_vendored_assets_are_served_without_a_token() {
    let t = TestApp::spawn().await;
    let page = t
        .env
        .http
        .get(t.url("/dashboard"))
        .send()
        .await
        .expect("sent");
    assert_eq!(page.status(), 200);
    assert_eq!(page.headers()["content-type"], "text/html; charset=utf-8");
    assert!(page.headers()["content-security-policy"]
        .to_str()
        .unwrap_or("")
        .contains("script-src 'self'"));
    let html = page.text().await.expect("text");
    assert!(html.contains("/dashboard/vendor/uPlot.iife.min.js") && !html.contains("https://"));
    for asset in [
        "app.js",
        "app.css",
        "vendor/uPlot.iife.min.js",
        "vendor/uPlot.min.css",
    ] {
        let r = t
            .env
            .http
            .get(t.url(&format!("/dashboard/{asset}")))
            .send()
            .await
            .expect("sent");
        assert_eq!(r.status(), 200, "{asset}");
    }
    let js = t
        .env
        .http
        .get(t.url("/dashboard/app.js"))
        .send()
        .await
        .expect("sent")
        .text()
        .await
        .expect("js");
    assert!(
        js.contains("history.replaceState"),
        "the token leaves the address bar"
    );
    let missing = t
        .env
        .http
        .get(t.url("/dashboard/nope.js"))
        .send()
        .await
        .expect("sent");
    assert_eq!(missing.status(), 404);
    t.stop().await;
}
