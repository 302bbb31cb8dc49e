//! Who may read analytics, what a bad query gets, and the KPI catalogue.

use kuaidi_shared::auth::Role;
use kuaidi_shared::testing::refused_fields;
use serde_json::Value;

use crate::helpers::{column, TestApp};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_dates_ranges_and_granularities_are_422_naming_the_field() {
    let t = TestApp::spawn().await;
    let admin = t.admin();
    let cases = [
        (
            "from=2026-11-30&to=2026-11-01&granularity=hour",
            vec!["granularity"],
        ),
        ("from=2026-11-30&to=2026-11-01", vec!["from"]),
        ("from=yesterday", vec!["from"]),
        ("to=2026-02-30", vec!["to"]),
        (
            "from=2025-01-01&to=2026-02-05&granularity=day",
            vec!["from"],
        ),
        ("tz=Mars/Olympus", vec!["tz"]),
        ("colour=red&city=%E5%8C%97%E4%BA%AC", vec!["colour"]),
        ("merchant_id=acme", vec!["merchant_id"]),
        ("city=%00", vec!["city"]),
    ];
    for (query, expected) in cases {
        let fields = refused_fields(t.kpis(Some(&admin), query).await).await;
        assert_eq!(fields, expected, "{query}");
    }
    for fine in ["tz=Asia/Shanghai", "value_tier=key", "tz=America/St_Johns"] {
        assert_eq!(t.kpis(Some(&admin), fine).await.status(), 200, "{fine}");
    }
    t.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn four_hundred_days_by_day_are_answered_with_four_hundred_rows() {
    let t = TestApp::spawn().await;

    let resp = t
        .kpis(
            Some(&t.admin()),
            "from=2025-10-22&to=2026-11-25&granularity=day",
        )
        .await;

    assert_eq!(resp.status(), 200);
    let report: Value = resp.json().await.expect("json");
    let starts = column(&report, "period_start");
    assert_eq!(starts.len(), 400);
    assert_eq!(starts[0], "2025-10-22");
    assert_eq!(starts[399], "2026-11-25");
    t.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_default_report_is_the_last_30_days_by_day() {
    let t = TestApp::spawn().await;

    let report = t.kpis_as(&t.admin(), "").await;

    let ends = column(&report, "period_end");
    assert_eq!(ends.len(), 30);
    let today = chrono::Utc::now().date_naive().to_string();
    assert_eq!(ends[29], today.as_str(), "ends today (UTC)");
    t.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_without_a_token_is_401_problem_json() {
    let t = TestApp::spawn().await;

    let resp = t.kpis(None, "").await;

    assert_eq!(resp.status(), 401);
    assert_eq!(resp.headers()["content-type"], "application/problem+json");
    t.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn operators_and_customers_are_403_and_analysts_managers_and_agents_are_served() {
    let t = TestApp::spawn().await;

    for role in [Role::Operator, Role::Customer, Role::App] {
        let resp = t.kpis(Some(&t.token(role)), "").await;
        assert_eq!(resp.status(), 403, "{role:?}");
        assert_eq!(resp.headers()["content-type"], "application/problem+json");
    }
    for role in [Role::Manager, Role::Supervisor, Role::Analyst] {
        let resp = t.kpis(Some(&t.token(role)), "").await;
        assert_eq!(resp.status(), 200, "{role:?}");
    }
    let agent = t.agent(uuid::Uuid::now_v7());
    assert_eq!(t.kpis(Some(&agent), "").await.status(), 200, "own figures");
    t.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_kpi_catalogue_defines_every_kpi_of_the_spec_with_its_version() {
    let t = TestApp::spawn().await;

    let resp = t.kpi_definitions(&t.token(Role::Analyst)).await;

    assert_eq!(resp.status(), 200);
    let catalogue: Value = resp.json().await.expect("json");
    let kpis = catalogue["data"].as_array().expect("data");
    assert_eq!(kpis.len(), 22, "every KPI of SPEC §8");
    for kpi in kpis {
        assert!(
            kpi["formula"].as_str().is_some_and(|f| !f.is_empty()),
            "{kpi}"
        );
        assert!(kpi["numerator"].is_string(), "{kpi}");
        assert!(kpi.get("denominator").is_some(), "{kpi}");
        assert!(
            kpi["source_events"]
                .as_array()
                .is_some_and(|e| !e.is_empty()),
            "{kpi}"
        );
        assert!(
            kpi["version"]
                .as_str()
                .is_some_and(|v| v <= catalogue["definitions_version"].as_str().unwrap_or("")),
            "no definition newer than the catalogue: {kpi}"
        );
    }
    let defined = |name: &str| {
        kpis.iter()
            .find(|k| k["name"] == name)
            .unwrap_or_else(|| panic!("{name} defined"))
            .clone()
    };
    let rate = defined("complaint_rate_per_10k");
    assert_eq!(rate["denominator"], "shipments created");
    assert_eq!(
        rate["version"], "2026-12-06.1",
        "complaints received from customers alone: proactive cases left out since"
    );
    assert_eq!(catalogue["definitions_version"], "2026-12-06.1");
    assert_eq!(
        defined("first_response_sla_rate")["version"],
        "2026-12-05.1",
        "changed to cases of every type"
    );
    assert_eq!(
        t.kpi_definitions(&t.token(Role::Operator)).await.status(),
        403
    );
    t.stop().await;
}
