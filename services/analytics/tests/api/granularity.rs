//! The same figures whichever rows answer: the hourly slices (at most one filter dimension),
//! the 15-minute rows (two or more), and remembered customer figures, which are computed again
//! when activity in their days changes.

use chrono::{DateTime, TimeDelta, TimeZone, Utc};
use kuaidi_shared::events::catalogue::*;
use serde_json::Value;
use uuid::Uuid;

use crate::helpers::{complaint, delivered, shipment, TestApp};

fn at(day: u32, h: u32, m: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, day, h, m, 0)
        .single()
        .expect("time")
}

fn customer(id: Uuid, tier: &str) -> CustomerCreatedV1 {
    CustomerCreatedV1 {
        city: Some("北京".into()),
        province: Some("北京".into()),
        value_tier: tier.into(),
        lifecycle_stage: "active".into(),
        ..kuaidi_shared::testing::customer_created(id, None, at(1, 0, 0))
    }
}

/// A shipment of `customer` at `when`, to Beijing (express) or Shanghai (same day).
fn ship(merchant: Uuid, customer: Uuid, when: DateTime<Utc>, beijing: bool) -> ShipmentCreatedV1 {
    let mut s = shipment(merchant, when);
    s.shipper_customer_id = Some(customer);
    if !beijing {
        s.destination.city = "上海".into();
        s.destination.province = Some("上海".into());
        s.destination.hub_code = Some("SHA01".into());
        s.service_level = "same_day".into();
    }
    s
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hourly_slices_fine_rows_and_remembered_customer_figures_give_the_same_figures() {
    let t = TestApp::spawn_at(at(26, 12, 0)).await;
    let (merchant, other) = (Uuid::now_v7(), Uuid::now_v7());
    let customers: Vec<Uuid> = (0..4).map(|_| Uuid::now_v7()).collect();
    for (i, c) in customers.iter().enumerate() {
        let tier = if i % 2 == 0 { "key" } else { "small" };
        t.emit(&customer(*c, tier), at(1, 0, 0)).await;
    }
    // Six days, both cities, both merchants, around UTC and Shanghai midnights.
    let mut n = 0;
    for day in 20..=25 {
        for (k, (h, m)) in [(0, 5), (9, 30), (15, 50), (16, 10), (23, 55)]
            .into_iter()
            .enumerate()
        {
            let who = customers[(usize::try_from(day).unwrap_or(0) + k) % customers.len()];
            let beijing = k % 3 != 1;
            let by = if k % 2 == 0 { merchant } else { other };
            let s = ship(by, who, at(day, h, m), beijing);
            t.emit(&s, s.created_at).await;
            let done = s.created_at + TimeDelta::hours(20);
            t.emit(&delivered(&s, done, k != 2), done).await;
            n += 1;
            if k == 3 {
                let mut c = complaint(by, s.created_at + TimeDelta::hours(2));
                c.tracking_number = Some(s.tracking_number.clone());
                t.emit(&c, c.received_at).await;
            }
        }
    }
    let all = "from=2026-11-19&to=2026-11-26";
    t.kpis_when(&t.admin(), all, "every shipment", |r| {
        r["data"].as_array().is_some_and(|d| {
            d.iter()
                .map(|row| row["shipments"].as_i64().unwrap_or(0))
                .sum::<i64>()
                == n
                && d.iter()
                    .map(|row| row["delivered"].as_i64().unwrap_or(0))
                    .sum::<i64>()
                    == n
                && d.iter()
                    .map(|row| row["complaints"].as_i64().unwrap_or(0))
                    .sum::<i64>()
                    == 6
        })
    })
    .await;
    // A filter by one dimension reads its hourly slice; adding the province implied by the
    // city (every Beijing shipment is in 北京 province) reads the 15-minute rows.
    let m = format!("merchant_id={merchant}");
    for (slice, fine) in [
        ("city=北京".to_owned(), "city=北京&province=北京".to_owned()),
        (
            "province=上海".to_owned(),
            "province=上海&city=上海".to_owned(),
        ),
        (
            "service_level=same_day".to_owned(),
            "service_level=same_day&city=上海".to_owned(),
        ),
        (
            format!("{m}&city=北京"),
            format!("{m}&province=北京&city=北京"),
        ),
        (m.clone(), m.clone()),
    ] {
        for shape in ["", "&granularity=week", "&tz=Asia/Shanghai"] {
            let sliced = t.kpis_json(&format!("{all}&{slice}{shape}")).await;
            let again = t.kpis_json(&format!("{all}&{slice}{shape}")).await;
            assert_eq!(sliced, again, "remembered customer figures: {slice}{shape}");
            let fine = t.kpis_json(&format!("{all}&{fine}{shape}")).await;
            assert_eq!(sliced, fine, "{slice} vs {fine}{shape}");
        }
    }
    // Beijing shipments are express: the express slice equals the Beijing one.
    let express = t.kpis_json(&format!("{all}&service_level=express")).await;
    let beijing = t.kpis_json(&format!("{all}&city=北京")).await;
    assert_eq!(express, beijing);
    assert!(
        beijing["data"]
            .as_array()
            .expect("rows")
            .iter()
            .any(|r| r["active_customers"].as_i64().unwrap_or(0) > 0),
        "customer figures are part of the comparison"
    );

    // A late shipment on an old day: the remembered figures of that day (and the next, whose
    // retention reads it) are computed again.
    let before = t.kpis_json(&format!("{all}&city=北京")).await;
    let day21 = |r: &Value| r["data"][2]["active_customers"].as_i64().unwrap_or(-1);
    let newcomer = Uuid::now_v7();
    let late = ship(merchant, newcomer, at(21, 8, 0), true);
    t.emit(&late, late.created_at).await;
    let after = t
        .kpis_when(
            &t.admin(),
            &format!("{all}&city=北京"),
            "the late shipment",
            |r| {
                r["data"][2]["shipments"]
                    == before["data"][2]["shipments"].as_i64().unwrap_or(0) + 1
            },
        )
        .await;
    assert_eq!(after["data"][2]["period_start"], "2026-11-21");
    assert_eq!(
        day21(&after),
        day21(&before) + 1,
        "one more active customer"
    );
    let fine = t.kpis_json(&format!("{all}&city=北京&province=北京")).await;
    assert_eq!(
        after, fine,
        "remembered and fresh figures agree after the change"
    );
    t.stop().await;
}
