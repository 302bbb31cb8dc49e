//! KPIs from events.

use chrono::{DateTime, TimeZone, Utc};
use kuaidi_shared::app::RunningApp;
use kuaidi_shared::auth::Role;
use kuaidi_shared::events::catalogue::{ComplaintReceivedV1, PlaceV1, ShipmentCreatedV1};
use kuaidi_shared::events::CloudEvent;
use kuaidi_shared::money::Money;
use kuaidi_shared::request::RequestContext;
use kuaidi_shared::testing::{eventually, publish, TestEnv};
use serde_json::Value;
use std::time::Duration;
use uuid::Uuid;

async fn spawn() -> (TestEnv, RunningApp) {
    let env = TestEnv::new();
    let app = kuaidi_analytics::build(env.settings("analytics"))
        .await
        .expect("builds")
        .spawn();
    (env, app)
}

fn shipment(merchant: Uuid, at: DateTime<Utc>) -> CloudEvent {
    let s = ShipmentCreatedV1 {
        shipment_id: Uuid::now_v7(),
        tracking_number: format!("T{}", Uuid::new_v4().simple()),
        merchant_id: Some(merchant),
        shipper_customer_id: None,
        service_level: "express".into(),
        origin: PlaceV1 {
            city: "上海".into(),
            province: None,
            hub_code: None,
        },
        destination: PlaceV1 {
            city: "北京".into(),
            province: Some("北京".into()),
            hub_code: None,
        },
        weight_kg: 1.0,
        freight: Money {
            amount: "10.00".into(),
            currency: "CNY".into(),
        },
        declared_value: None,
        cod_amount: None,
        promised_at: None,
        created_at: at,
        sequence: 1,
    };
    CloudEvent::new(
        "shipments",
        s.shipment_id.to_string(),
        &s,
        &RequestContext::detached(),
        Uuid::now_v7(),
        at,
    )
}

fn complaint(merchant: Uuid, at: DateTime<Utc>) -> CloudEvent {
    let c = ComplaintReceivedV1 {
        complaint_id: Uuid::now_v7(),
        number: "C2026112500001".into(),
        type_: "complaint".into(),
        channel: "phone".into(),
        category: Some("delay".into()),
        priority: "normal".into(),
        customer_id: None,
        merchant_id: Some(merchant),
        tracking_number: None,
        city: Some("北京".into()),
        received_at: at,
    };
    CloudEvent::new(
        "complaints",
        c.complaint_id.to_string(),
        &c,
        &RequestContext::detached(),
        Uuid::now_v7(),
        at,
    )
}

async fn kpis(env: &TestEnv, app: &RunningApp, token: &str, query: &str) -> reqwest::Response {
    env.http
        .get(format!("{}/api/v1/analytics/kpis?{query}", app.url()))
        .bearer_auth(token)
        .send()
        .await
        .expect("sent")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn todays_row_counts_each_event_once_and_derives_the_complaint_rate() {
    let (env, app) = spawn().await;
    let merchant = Uuid::now_v7();
    let now = Utc::now();
    let first = shipment(merchant, now);
    publish(&env.amqp, &first).await;
    publish(&env.amqp, &first).await; // a redelivery must not count twice
    publish(&env.amqp, &shipment(merchant, now)).await;
    publish(&env.amqp, &shipment(merchant, now)).await;
    publish(&env.amqp, &complaint(merchant, now)).await;
    let admin = env.token(Role::Admin, None);
    let today = now.date_naive();

    let row = eventually(
        Duration::from_secs(10),
        "3 shipments and 1 complaint today",
        || async {
            let r: Value = kpis(&env, &app, &admin, &format!("from={today}&to={today}"))
                .await
                .json()
                .await
                .ok()?;
            let row = r["data"][0].clone();
            (row["shipments"] == 3 && row["complaints"] == 1).then_some(r)
        },
    )
    .await;

    assert_eq!(row["data"][0]["complaint_rate_per_10k"], 3333.33);
    assert_eq!(row["data"][0]["period_start"], today.to_string());
    assert!(
        row["data"][0]["on_time_rate"].is_null(),
        "no delivery data yet"
    );
    assert_eq!(row["definitions_version"], "2026-11-25.1");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn merchants_see_only_their_own_figures_whatever_they_ask_for() {
    let (env, app) = spawn().await;
    let (a, b) = (Uuid::now_v7(), Uuid::now_v7());
    let now = Utc::now();
    publish(&env.amqp, &shipment(a, now)).await;
    publish(&env.amqp, &shipment(b, now)).await;
    publish(&env.amqp, &shipment(b, now)).await;
    let admin = env.token(Role::Admin, None);
    let today = now.date_naive();
    eventually(Duration::from_secs(10), "all three shipments", || async {
        let r: Value = kpis(&env, &app, &admin, &format!("from={today}&to={today}"))
            .await
            .json()
            .await
            .ok()?;
        (r["data"][0]["shipments"] == 3).then_some(())
    })
    .await;

    let merchant_a = env.token(Role::Merchant, Some(a));
    let r: Value = kpis(
        &env,
        &app,
        &merchant_a,
        &format!("from={today}&to={today}&merchant_id={b}"),
    )
    .await
    .json()
    .await
    .expect("json");
    assert_eq!(
        r["data"][0]["shipments"], 1,
        "A sees its own single shipment, never B's"
    );
    let r: Value = kpis(
        &env,
        &app,
        &admin,
        &format!("from={today}&to={today}&merchant_id={b}"),
    )
    .await
    .json()
    .await
    .expect("json");
    assert_eq!(r["data"][0]["shipments"], 2, "staff may filter by merchant");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn weeks_and_months_sum_their_days_and_empty_periods_are_zero() {
    let (env, app) = spawn().await;
    let m = Uuid::now_v7();
    let day = |d: u32| {
        Utc.with_ymd_and_hms(2026, 3, d, 10, 0, 0)
            .single()
            .expect("time")
    };
    // Monday 2026-03-02 and Sunday 2026-03-08 are one week; Monday 2026-03-09 the next.
    for at in [day(2), day(8), day(9)] {
        publish(&env.amqp, &shipment(m, at)).await;
    }
    let admin = env.token(Role::Admin, None);
    let weeks = eventually(Duration::from_secs(10), "weekly sums", || async {
        let r: Value = kpis(
            &env,
            &app,
            &admin,
            "from=2026-03-01&to=2026-03-15&granularity=week",
        )
        .await
        .json()
        .await
        .ok()?;
        (r["data"][1]["shipments"] == 2).then_some(r)
    })
    .await;
    let rows = weeks["data"].as_array().expect("rows");
    assert_eq!(rows.len(), 3);
    assert_eq!(rows[0]["period_start"], "2026-02-23");
    assert_eq!(rows[0]["shipments"], 0);
    assert_eq!(rows[1]["period_start"], "2026-03-02");
    assert_eq!(rows[1]["period_end"], "2026-03-08");
    assert_eq!(rows[2]["shipments"], 1);
    let months: Value = kpis(
        &env,
        &app,
        &admin,
        "from=2026-02-01&to=2026-03-31&granularity=month",
    )
    .await
    .json()
    .await
    .expect("json");
    assert_eq!(months["data"][0]["shipments"], 0);
    assert_eq!(months["data"][1]["shipments"], 3);
    assert_eq!(months["data"][1]["period_end"], "2026-03-31");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_parameters_get_422_and_the_wrong_callers_401_or_403() {
    let (env, app) = spawn().await;
    let admin = env.token(Role::Admin, None);
    let bad = kpis(
        &env,
        &app,
        &admin,
        "from=2026-11-30&to=2026-11-01&granularity=hour",
    )
    .await;
    assert_eq!(bad.status(), 422);
    assert_eq!(bad.headers()["content-type"], "application/problem+json");
    let problem: Value = bad.json().await.expect("json");
    let fields: Vec<&str> = problem["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .filter_map(|e| e["field"].as_str())
        .collect();
    assert_eq!(fields, vec!["granularity"]);
    assert_eq!(
        kpis(&env, &app, &admin, "from=2026-11-30&to=2026-11-01")
            .await
            .status(),
        422
    );
    assert_eq!(
        kpis(&env, &app, &admin, "from=yesterday").await.status(),
        422
    );
    let anonymous = env
        .http
        .get(format!("{}/api/v1/analytics/kpis", app.url()))
        .send()
        .await
        .expect("sent");
    assert_eq!(anonymous.status(), 401);
    assert_eq!(
        kpis(&env, &app, &env.token(Role::Operator, None), "")
            .await
            .status(),
        403
    );
    let defs: Value = env
        .http
        .get(format!("{}/api/v1/analytics/kpi-definitions", app.url()))
        .bearer_auth(&admin)
        .send()
        .await
        .expect("sent")
        .json()
        .await
        .expect("json");
    assert_eq!(defs["data"].as_array().map(Vec::len), Some(22));
    app.stop().await;
}
