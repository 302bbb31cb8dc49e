//! The edges of the reports: periods that have not started yet, text in CSV cells that a
//! spreadsheet would run, hotspots with equal counts.

use chrono::{DateTime, TimeZone, Utc};
use serde_json::Value;
use uuid::Uuid;

use crate::helpers::{complaint, delivered, shipment, TestApp};

fn at(day: u32, h: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, day, h, 0, 0)
        .single()
        .expect("time")
}

/// The rates of a KPI row.
const RATES: [&str; 6] = [
    "on_time_rate",
    "damage_rate",
    "complaint_rate_per_10k",
    "retention_rate",
    "churn_rate",
    "repurchase_rate",
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn periods_that_have_not_started_have_no_rates_in_the_zone_asked_for() {
    // 23:00 UTC on the 25th: 07:00 on the 26th in Shanghai.
    let t = TestApp::spawn_at(at(25, 23)).await;
    let (merchant, customer) = (Uuid::now_v7(), Uuid::now_v7());
    let created = kuaidi_shared::testing::customer_created(customer, None, at(24, 1));
    t.emit(&created, at(24, 1)).await;
    for day in [24, 25] {
        let mut s = shipment(merchant, at(day, 12));
        s.shipper_customer_id = Some(customer);
        t.emit(&s, s.created_at).await;
        t.emit(&delivered(&s, at(day, 20), true), at(day, 20)).await;
    }
    let path = "/api/v1/analytics/kpis?from=2026-11-25&to=2026-11-27";
    let utc = t
        .get_when(&t.admin(), path, "the 25th delivered", |r| {
            r["data"][0]["delivered"] == 1
        })
        .await;
    let today = &utc["data"][0];
    assert_eq!(
        (today["retention_rate"].clone(), today["churn_rate"].clone()),
        (1.0.into(), 0.0.into())
    );
    assert_eq!(today["on_time_rate"], 1.0);
    for row in &utc["data"].as_array().expect("rows")[1..] {
        for rate in RATES {
            assert!(
                row[rate].is_null(),
                "{rate} of {}: {row}",
                row["period_start"]
            );
        }
        assert_eq!(row["shipments"], 0, "counts stay counts");
    }
    // In Shanghai the 26th has begun: its figures so far (the customer has not shipped yet).
    let shanghai = t
        .kpis_json("from=2026-11-25&to=2026-11-27&tz=Asia/Shanghai")
        .await;
    let (begun, tomorrow) = (&shanghai["data"][1], &shanghai["data"][2]);
    assert_eq!(begun["retention_rate"], 0.0, "{begun}");
    assert_eq!(begun["churn_rate"], 1.0);
    for rate in RATES {
        assert!(tomorrow[rate].is_null(), "{rate}: {tomorrow}");
    }
    // Next week has not begun either; this one has.
    let weeks = t
        .kpis_json("from=2026-11-25&to=2026-11-30&granularity=week")
        .await;
    assert_eq!(
        weeks["data"][0]["retention_rate"],
        Value::Null,
        "no week before"
    );
    assert_eq!(weeks["data"][0]["on_time_rate"], 1.0);
    assert!(weeks["data"][1]["churn_rate"].is_null(), "{weeks}");
    // The export says the same: empty cells.
    let csv = t
        .get(
            &t.admin(),
            "/api/v1/analytics/export?report=kpis&from=2026-11-27&to=2026-11-27",
        )
        .await
        .text()
        .await
        .expect("csv");
    let row = csv.split("\r\n").nth(1).expect("a row");
    assert!(
        row.starts_with("2026-11-27,2026-11-27,0,0,,,,,,0,,"),
        "{row}"
    );
    t.stop().await;
}

/// Files a complaint of `category` in `city` at `when`.
async fn complain(t: &TestApp, merchant: Uuid, category: &str, city: &str, when: DateTime<Utc>) {
    let mut c = complaint(merchant, when);
    c.category = Some(category.into());
    c.city = Some(city.into());
    t.emit(&c, when).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hotspots_come_in_one_order_and_their_csv_runs_no_formula() {
    let t = TestApp::spawn_at(at(25, 23)).await;
    let merchant = Uuid::now_v7();
    for city in ["Xian", "Beijing", "Anshan", "Chengdu"] {
        complain(&t, merchant, "delay", city, at(25, 10)).await;
    }
    complain(&t, merchant, "@x", "=1+1", at(25, 11)).await;
    complain(&t, merchant, "@x", "-Sh", at(24, 11)).await;
    let path = "/api/v1/analytics/complaint-hotspots?from=2026-11-25&to=2026-11-25";
    let first = t
        .get_when(&t.admin(), path, "six hotspots", |h| {
            h["by_city"].as_array().map(Vec::len) == Some(6)
        })
        .await;
    let by_city = first["by_city"].as_array().expect("rows").clone();
    let cities = |category: &str| -> Vec<Value> {
        by_city
            .iter()
            .filter(|r| r["category"] == category)
            .map(|r| r["city"].clone())
            .collect()
    };
    assert_eq!(
        cities("delay"),
        ["Anshan", "Beijing", "Chengdu", "Xian"],
        "ties by city"
    );
    assert_eq!(by_city[5]["city"], "-Sh", "none now: last");
    for _ in 0..3 {
        assert_eq!(
            t.get_json(&t.admin(), path).await,
            first,
            "the same order each time"
        );
    }

    let csv = t
        .get(
            &t.admin(),
            "/api/v1/analytics/export?report=hotspots&from=2026-11-25&to=2026-11-25",
        )
        .await
        .text()
        .await
        .expect("csv");
    let lines: Vec<&str> = csv
        .split("\r\n")
        .filter(|l| !l.is_empty())
        .skip(1)
        .collect();
    let quote = |s: &str| match s.chars().next() {
        Some('=' | '+' | '-' | '@') => format!("'{s}"),
        _ => s.to_owned(),
    };
    let expected: Vec<String> = by_city
        .iter()
        .map(|r| {
            let text = |f: &str| quote(r[f].as_str().expect("text"));
            let rate = r["change_rate"]
                .as_f64()
                .map(|x| format!("{x:?}"))
                .unwrap_or_default();
            let (now, before, change) = (&r["complaints"], &r["previous"], &r["change"]);
            format!(
                "{},{},,{now},{before},{change},{rate}",
                text("category"),
                text("city")
            )
        })
        .collect();
    assert_eq!(lines, expected, "the JSON's order, text neutralised: {csv}");
    assert!(lines.contains(&"'@x,'=1+1,,1,0,1,"), "{csv}");
    assert!(
        lines.contains(&"'@x,'-Sh,,0,1,-1,-1.0"),
        "a negative change stays a number: {csv}"
    );
    t.stop().await;
}
