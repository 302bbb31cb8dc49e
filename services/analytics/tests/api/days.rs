//! Whole local days (`kpi_days`) give the figures of the finer rows: in UTC and China (whose
//! days are kept whole), across a change of summer time (whole days, then hours, then whole
//! days again), in a zone read from hourly slices and in one read from 15-minute rows; by day,
//! week and month; each local day's shipments as counted from the events' own times.

use chrono::{DateTime, NaiveDate, TimeDelta, TimeZone, Utc};
use chrono_tz::Tz;
use serde_json::Value;
use std::collections::BTreeMap;
use uuid::Uuid;

use crate::helpers::{complaint, delivered, shipment, TestApp};

const RANGE: &str = "from=2026-10-20&to=2026-11-25";

fn utc(month: u32, day: u32, h: u32, m: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, month, day, h, m, 0)
        .single()
        .expect("time")
}

/// Shipments per row of a report, by `period_start`.
fn shipments_by_period(report: &Value) -> BTreeMap<String, i64> {
    report["data"]
        .as_array()
        .expect("rows")
        .iter()
        .map(|r| {
            (
                r["period_start"].as_str().unwrap_or_default().to_owned(),
                r["shipments"].as_i64().unwrap_or(-1),
            )
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn whole_days_hours_and_quarter_hours_give_the_same_exact_figures_in_every_zone() {
    let t = TestApp::spawn_at(utc(11, 26, 12, 0)).await;
    let (merchant, other) = (Uuid::now_v7(), Uuid::now_v7());
    // Around the midnights of UTC, China (16:00 UTC), London in summer (23:00 UTC), Kolkata
    // (18:30 UTC) and Tokyo (15:00 UTC), over London's change back to UTC (2026-10-25).
    let (mut beijing_times, mut all_times) = (Vec::new(), Vec::new());
    let (mut n, mut late, mut complaints) = (0, 0, 0);
    for (month, day) in [(10, 23), (10, 24), (10, 25), (10, 26), (11, 20), (11, 21)] {
        for (k, (h, m)) in [
            (0, 5),
            (14, 50),
            (15, 10),
            (15, 55),
            (16, 5),
            (18, 20),
            (18, 40),
            (22, 55),
            (23, 5),
        ]
        .into_iter()
        .enumerate()
        {
            let when = utc(month, day, h, m);
            all_times.push(when);
            let mut s = shipment(if k % 2 == 0 { merchant } else { other }, when);
            if k % 3 == 1 {
                s.destination.city = "上海".into();
                s.destination.province = Some("上海".into());
                s.service_level = "same_day".into();
            } else {
                beijing_times.push(when);
            }
            t.emit(&s, when).await;
            n += 1;
            let done = when + TimeDelta::hours(30);
            t.emit(&delivered(&s, done, k % 4 != 0), done).await;
            late += i64::from(k % 4 == 0);
            if k == 5 {
                let mut c = complaint(merchant, when + TimeDelta::minutes(10));
                c.tracking_number = Some(s.tracking_number.clone());
                t.emit(&c, c.received_at).await;
                complaints += 1;
            }
        }
    }
    let sum = |r: &Value, k: &str| {
        r["data"].as_array().map_or(0, |d| {
            d.iter()
                .map(|row| row[k].as_i64().unwrap_or(0))
                .sum::<i64>()
        })
    };
    let all = t
        .kpis_when(&t.admin(), RANGE, "every event", |r| {
            sum(r, "shipments") == n
                && sum(r, "delivered") == n
                && sum(r, "complaints") == complaints
        })
        .await;
    let rates = all["data"].as_array().expect("rows").iter();
    let late_days = rates
        .filter(|r| r["on_time_rate"].as_f64().is_some_and(|x| x < 1.0))
        .count();
    assert!(
        late > 0 && late_days > 0,
        "late deliveries are part of the comparison"
    );

    let zones = [
        "UTC",
        "Asia/Shanghai",
        "Europe/London",
        "Asia/Tokyo",
        "Asia/Kolkata",
        "America/New_York",
    ];
    for tz in zones {
        for g in ["day", "week", "month"] {
            let shape = format!("{RANGE}&tz={tz}&granularity={g}");
            for (slice, fine) in [
                ("city=北京", "city=北京&province=北京"),
                ("service_level=same_day", "service_level=same_day&city=上海"),
                (
                    &*format!("merchant_id={merchant}&city=北京"),
                    &*format!("merchant_id={merchant}&city=北京&province=北京"),
                ),
            ] {
                let sliced = t.kpis_json(&format!("{shape}&{slice}")).await;
                let fine = t.kpis_json(&format!("{shape}&{fine}")).await;
                assert!(sum(&sliced, "shipments") > 0, "{slice} in {tz}");
                assert_eq!(sliced, fine, "{slice} vs {fine} in {tz} by {g}");
            }
        }
        // Each local day's shipments, as the events' times say: Beijing's and everyone's.
        let zone: Tz = tz.parse().expect("zone");
        for (times, filter) in [(&beijing_times, "&city=北京"), (&all_times, "")] {
            let mut expected: BTreeMap<String, i64> = BTreeMap::new();
            for when in times {
                let day: NaiveDate = when.with_timezone(&zone).date_naive();
                *expected.entry(day.to_string()).or_default() += 1;
            }
            let report = t.kpis_json(&format!("{RANGE}&tz={tz}{filter}")).await;
            let mut got = shipments_by_period(&report);
            got.retain(|_, v| *v != 0);
            assert_eq!(got, expected, "shipments{filter} per local day in {tz}");
        }
    }
    t.stop().await;
}
