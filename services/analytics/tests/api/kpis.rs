//! KPIs fed by `shipment.created` and `complaint.received` through RabbitMQ.

use chrono::{TimeZone, Utc};
use serde_json::{json, Value};
use uuid::Uuid;

use crate::helpers::{
    column, complaint, complaint_event, event, noon, one_day, shipment, shipment_event, TestApp,
};

/// The ratios of SPEC §8 whose denominators stay zero with only shipments and complaints.
const NO_DENOMINATOR: [&str; 12] = [
    "on_time_rate",
    "avg_transit_hours",
    "first_response_sla_rate",
    "resolved_within_24h_rate",
    "resolved_within_48h_rate",
    "csat_avg",
    "satisfied_rate",
    "reopen_rate",
    "retention_rate",
    "churn_rate",
    "repurchase_rate",
    "on_time_rate",
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn todays_row_counts_shipments_and_complaints_and_derives_the_rate_per_10k() {
    let t = TestApp::spawn().await;
    let merchant = Uuid::now_v7();
    let now = Utc::now();
    for _ in 0..3 {
        t.publish(&shipment_event(merchant, now)).await;
    }
    let mut praise = complaint(merchant, now);
    praise.type_ = "praise".into();
    t.publish(&event(&praise, praise.complaint_id, now)).await;
    t.publish(&complaint_event(merchant, now)).await;
    let today = now.date_naive();

    // The praise was handled before the complaint (one delivery at a time, in order).
    let report = t
        .kpis_when(
            &t.admin(),
            &one_day(now),
            "3 shipments and 1 complaint today",
            |r| r["data"][0]["shipments"] == 3 && r["data"][0]["complaints"] == 1,
        )
        .await;

    let rows = report["data"].as_array().expect("rows");
    assert_eq!(rows.len(), 1, "one row for one day");
    let row = &rows[0];
    assert_eq!(row["complaint_rate_per_10k"], 3333.33);
    assert_eq!(row["period_start"], today.to_string());
    assert_eq!(row["period_end"], today.to_string());
    for kpi in NO_DENOMINATOR {
        assert!(
            row.get(kpi).is_some_and(Value::is_null),
            "{kpi} present and null: {row}"
        );
    }
    assert_eq!(
        row["damage_rate"], 0.0,
        "shipments but no damage: 0, not null"
    );
    assert_eq!(row["delivered"], 0);
    assert_eq!(
        row["claims_paid"],
        json!({"amount": "0.00", "currency": "CNY"})
    );
    assert_eq!(report["definitions_version"], "2026-12-06.1");
    t.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_event_delivered_twice_counts_once() {
    let t = TestApp::spawn().await;
    let merchant = Uuid::now_v7();
    let now = Utc::now();
    let once = shipment_event(merchant, now);
    t.publish(&once).await;
    t.publish(&once).await;
    // Handled after both copies, so when it shows, both copies have been through.
    t.publish(&complaint_event(merchant, now)).await;

    let report = t
        .kpis_when(
            &t.admin(),
            &one_day(now),
            "the complaint after the copies",
            |r| r["data"][0]["complaints"] == 1,
        )
        .await;

    assert_eq!(
        report["data"][0]["shipments"], 1,
        "the redelivery had no effect"
    );
    assert_eq!(report["data"][0]["complaint_rate_per_10k"], 10_000.0);
    t.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn merchants_see_only_their_own_figures_and_another_merchants_are_not_found() {
    let t = TestApp::spawn().await;
    let (a, b) = (Uuid::now_v7(), Uuid::now_v7());
    let now = Utc::now();
    t.publish(&shipment_event(a, now)).await;
    t.publish(&shipment_event(b, now)).await;
    t.publish(&shipment_event(b, now)).await;
    t.publish(&complaint_event(b, now)).await;
    let day = one_day(now);
    t.kpis_when(&t.admin(), &day, "all three shipments", |r| {
        r["data"][0]["shipments"] == 3 && r["data"][0]["complaints"] == 1
    })
    .await;

    let as_a = t.merchant_token(a);
    for query in [day.clone(), format!("{day}&merchant_id={a}")] {
        let r = t.kpis_as(&as_a, &query).await;
        assert_eq!(
            (&r["data"][0]["shipments"], &r["data"][0]["complaints"]),
            (&json!(1), &json!(0)),
            "A sees its single shipment and none of B's complaints ({query})"
        );
    }
    for path in [
        format!("/api/v1/analytics/kpis?{day}&merchant_id={b}"),
        format!("/api/v1/analytics/complaint-hotspots?{day}&merchant_id={b}"),
        format!("/api/v1/analytics/export?report=kpis&{day}&merchant_id={b}"),
        format!("/api/v1/analytics/export?report=hotspots&{day}&merchant_id={b}"),
    ] {
        let r = t.get(&as_a, &path).await;
        assert_eq!(r.status(), 404, "B's figures do not exist for A: {path}");
        assert_eq!(
            r.headers()["content-type"],
            "application/problem+json",
            "{path}"
        );
    }
    let r = t.kpis_as(&t.merchant_token(b), &day).await;
    assert_eq!(r["data"][0]["shipments"], 2);
    t.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn staff_may_narrow_to_a_merchant_city_province_or_service_level() {
    let t = TestApp::spawn().await;
    let (a, b) = (Uuid::now_v7(), Uuid::now_v7());
    let now = Utc::now();
    t.publish(&shipment_event(a, now)).await;
    let mut guangzhou = shipment(b, now);
    guangzhou.destination.city = "广州".into();
    guangzhou.destination.province = Some("广东".into());
    guangzhou.service_level = "standard".into();
    t.publish(&event(&guangzhou, guangzhou.shipment_id, now))
        .await;
    let day = one_day(now);
    let admin = t.admin();
    t.kpis_when(&admin, &day, "both shipments", |r| {
        r["data"][0]["shipments"] == 2
    })
    .await;

    let cases = [
        (format!("merchant_id={b}"), 1),
        ("city=广州".to_owned(), 1),
        ("province=北京".to_owned(), 1),
        ("service_level=standard".to_owned(), 1),
        ("city=北京&service_level=standard".to_owned(), 0),
        ("city=".to_owned(), 2),
    ];
    for (filter, expected) in cases {
        let r = t.kpis_as(&admin, &format!("{day}&{filter}")).await;
        assert_eq!(r["data"][0]["shipments"], expected, "{filter}");
    }
    t.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn weeks_run_monday_to_sunday_and_sum_their_days() {
    let t = TestApp::spawn().await;
    let m = Uuid::now_v7();
    // Monday 2026-03-02 and Sunday 2026-03-08 are one week; Monday 2026-03-09 starts the next.
    for at in [noon(2026, 3, 2), noon(2026, 3, 8), noon(2026, 3, 9)] {
        t.publish(&shipment_event(m, at)).await;
    }
    t.publish(&complaint_event(m, noon(2026, 3, 8))).await;

    let weeks = t
        .kpis_when(
            &t.admin(),
            "from=2026-03-01&to=2026-03-15&granularity=week",
            "the complaint of the week of 2 March",
            |r| r["data"][1]["complaints"] == 1,
        )
        .await;

    assert_eq!(
        column(&weeks, "period_start"),
        vec![
            json!("2026-02-23"),
            json!("2026-03-02"),
            json!("2026-03-09")
        ],
        "whole Monday weeks overlapping the range"
    );
    assert_eq!(
        column(&weeks, "period_end"),
        vec![
            json!("2026-03-01"),
            json!("2026-03-08"),
            json!("2026-03-15")
        ]
    );
    assert_eq!(
        column(&weeks, "shipments"),
        vec![json!(0), json!(2), json!(1)]
    );
    assert_eq!(
        column(&weeks, "complaint_rate_per_10k"),
        vec![Value::Null, json!(5000.0), json!(0.0)]
    );
    let days = t.kpis_as(&t.admin(), "from=2026-03-01&to=2026-03-15").await;
    let shipments = column(&days, "shipments");
    assert_eq!(shipments.len(), 15, "one row per day, empty days included");
    assert_eq!(shipments.iter().filter_map(Value::as_i64).sum::<i64>(), 3);
    t.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn months_are_calendar_months_and_empty_ones_are_zero() {
    let t = TestApp::spawn().await;
    let m = Uuid::now_v7();
    let last_second_of_march = Utc
        .with_ymd_and_hms(2026, 3, 31, 23, 59, 59)
        .single()
        .expect("time");
    let first_second_of_april = Utc
        .with_ymd_and_hms(2026, 4, 1, 0, 0, 0)
        .single()
        .expect("time");
    for at in [
        noon(2026, 1, 31),
        noon(2026, 3, 1),
        last_second_of_march,
        first_second_of_april,
    ] {
        t.publish(&shipment_event(m, at)).await;
    }
    let admin = t.admin();
    t.kpis_when(
        &admin,
        "from=2026-01-01&to=2026-04-30&granularity=month",
        "all four shipments",
        |r| {
            column(r, "shipments")
                .iter()
                .filter_map(Value::as_i64)
                .sum::<i64>()
                == 4
        },
    )
    .await;

    let months = t
        .kpis_as(&admin, "from=2026-01-15&to=2026-03-20&granularity=month")
        .await;

    assert_eq!(
        column(&months, "period_start"),
        vec![
            json!("2026-01-01"),
            json!("2026-02-01"),
            json!("2026-03-01")
        ]
    );
    assert_eq!(
        column(&months, "period_end"),
        vec![
            json!("2026-01-31"),
            json!("2026-02-28"),
            json!("2026-03-31")
        ]
    );
    assert_eq!(
        column(&months, "shipments"),
        vec![json!(1), json!(0), json!(2)],
        "March's row is the whole of March; April's first second is April's"
    );
    t.stop().await;
}
