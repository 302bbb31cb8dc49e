//! Every report refuses what it does not know the same way: a value outside an enumerated
//! filter, or a parameter it does not take, is a 422 naming the field — never a 200 over zero
//! rows or over everyone's data. The segments and the churn risk take `merchant_id` as the KPIs
//! do: staff narrow to one merchant, a merchant names itself or none (another is a 404).

use chrono::{DateTime, TimeZone, Utc};
use kuaidi_shared::auth::Role;
use kuaidi_shared::events::catalogue::{CustomerChurnRiskDetectedV1, CustomerCreatedV1};
use kuaidi_shared::testing::refused_fields;
use serde_json::Value;
use uuid::Uuid;

use crate::helpers::TestApp;

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 25, 23, 0, 0)
        .single()
        .expect("time")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_values_of_enumerated_filters_are_refused_naming_the_field() {
    let t = TestApp::spawn_at(now()).await;
    let admin = t.admin();
    for (query, field) in [
        ("value_tier=gold", "value_tier"),
        ("service_level=teleport", "service_level"),
        ("service_level=Express", "service_level"),
        ("granularity=hour", "granularity"),
    ] {
        expect_refused(t.kpis(Some(&admin), query).await, &[field]).await;
    }
    let both = t
        .kpis(Some(&admin), "value_tier=gold&service_level=teleport")
        .await;
    expect_refused(both, &["service_level", "value_tier"]).await;
    for path in [
        "/api/v1/analytics/complaint-hotspots?value_tier=gold",
        "/api/v1/analytics/export?report=kpis&service_level=teleport",
    ] {
        let field = if path.contains("value_tier") {
            "value_tier"
        } else {
            "service_level"
        };
        expect_refused(t.get(&admin, path).await, &[field]).await;
    }
    for fine in [
        "value_tier=key",
        "service_level=same_day",
        "value_tier=&service_level=",
    ] {
        assert_eq!(t.kpis(Some(&admin), fine).await.status(), 200, "{fine}");
    }
    t.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn segments_and_churn_risk_refuse_parameters_they_do_not_take() {
    let t = TestApp::spawn_at(now()).await;
    let admin = t.admin();
    for path in [
        "/api/v1/analytics/segments?colour=red",
        "/api/v1/analytics/churn-risk?colour=red",
        "/api/v1/analytics/churn-risk?limit=10&colour=red",
    ] {
        expect_refused(t.get(&admin, path).await, &["colour"]).await;
    }
    for path in [
        "/api/v1/analytics/segments?merchant_id=nope",
        "/api/v1/analytics/churn-risk?merchant_id=nope",
        // Blank is no UUID (the documented format; schemathesis sends it).
        "/api/v1/analytics/segments?merchant_id=",
        "/api/v1/analytics/churn-risk?merchant_id=",
        "/api/v1/analytics/kpis?from=2026-11-01&to=2026-11-02&merchant_id=",
    ] {
        expect_refused(t.get(&admin, path).await, &["merchant_id"]).await;
    }
    expect_refused(
        t.get(&admin, "/api/v1/analytics/churn-risk?limit=0").await,
        &["limit"],
    )
    .await;
    t.stop().await;
}

/// Checks that `response` is a 422 naming exactly `fields`.
async fn expect_refused(response: reqwest::Response, fields: &[&str]) {
    assert_eq!(refused_fields(response).await, fields);
}

/// A customer of `merchant`, at risk of churning.
fn at_risk(merchant: Uuid) -> (CustomerCreatedV1, CustomerChurnRiskDetectedV1) {
    let created = CustomerCreatedV1 {
        value_tier: "key".into(),
        lifecycle_stage: "active".into(),
        ..kuaidi_shared::testing::customer_created(Uuid::now_v7(), Some(merchant), now())
    };
    let risk = CustomerChurnRiskDetectedV1 {
        customer_id: created.customer_id,
        merchant_id: Some(merchant),
        owner_id: None,
        baseline_monthly: 20.0,
        last_30d: 5,
        drop_ratio: 0.75,
        detected_at: now(),
    };
    (created, risk)
}

fn customers_at_risk(page: &Value) -> Vec<Value> {
    page["data"]
        .as_array()
        .expect("data")
        .iter()
        .map(|r| r["customer_id"].clone())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn staff_narrow_the_segments_and_the_churn_risk_to_one_merchant_and_a_merchant_to_itself() {
    let t = TestApp::spawn_at(now()).await;
    let (ours, theirs) = (Uuid::now_v7(), Uuid::now_v7());
    let mut customers = Vec::new();
    for merchant in [ours, ours, theirs] {
        let (created, risk) = at_risk(merchant);
        t.emit(&created, now()).await;
        t.emit(&risk, now()).await;
        customers.push(created.customer_id);
    }
    let admin = t.admin();
    let everyone = t
        .get_when(
            &admin,
            "/api/v1/analytics/churn-risk",
            "three at risk",
            |p| p["data"].as_array().is_some_and(|d| d.len() == 3),
        )
        .await;
    assert_eq!(customers_at_risk(&everyone).len(), 3);

    let segments = |path: String| {
        let t = &t;
        async move {
            let answer = t.get(&t.token(Role::Analyst), &path).await;
            assert_eq!(answer.status(), 200, "{path}");
            answer.json::<Value>().await.expect("json")["customers"].clone()
        }
    };
    assert_eq!(segments("/api/v1/analytics/segments".into()).await, 3);
    assert_eq!(
        segments(format!("/api/v1/analytics/segments?merchant_id={ours}")).await,
        2,
        "our merchant's customers only"
    );
    let narrowed = t
        .get_json(
            &admin,
            &format!("/api/v1/analytics/churn-risk?merchant_id={theirs}"),
        )
        .await;
    assert_eq!(
        customers_at_risk(&narrowed),
        [Value::from(customers[2].to_string())]
    );

    let merchant = t.merchant_token(ours);
    for own in ["", &format!("?merchant_id={ours}")] {
        let page = t
            .get_json(&merchant, &format!("/api/v1/analytics/churn-risk{own}"))
            .await;
        assert_eq!(customers_at_risk(&page).len(), 2, "{own}");
        let mine = t
            .get_json(&merchant, &format!("/api/v1/analytics/segments{own}"))
            .await;
        assert_eq!(mine["customers"], 2, "{own}");
    }
    for path in ["segments", "churn-risk"] {
        let other = t
            .get(
                &merchant,
                &format!("/api/v1/analytics/{path}?merchant_id={theirs}"),
            )
            .await;
        assert_eq!(other.status(), 404, "another merchant's {path}");
    }
    let export = t
        .get(
            &admin,
            &format!("/api/v1/analytics/export?report=segments&merchant_id={ours}"),
        )
        .await;
    assert_eq!(export.status(), 200);
    let csv = export.text().await.expect("csv");
    assert!(
        csv.starts_with("section,name,customers,customer_share,value,share"),
        "{csv}"
    );
    assert!(
        csv.lines().any(|l| l.starts_with("value_tier,key,2,1.0,")),
        "the export's segments are our merchant's too: {csv}"
    );
    t.stop().await;
}
