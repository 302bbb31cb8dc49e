//! The segments' value and RFM frequency: the freight and the shipments of the trailing 12
//! months, from `shipment.created` alone, as of the moment they are asked.

use chrono::{DateTime, TimeDelta, TimeZone, Utc};
use kuaidi_shared::events::catalogue::{
    CustomerCreatedV1, CustomerMergeUndoneV1, CustomerMergedV1, ShipmentCreatedV1,
};
use serde_json::{json, Value};
use uuid::Uuid;

use crate::helpers::{shipment, TestApp};

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 25, 23, 0, 0)
        .single()
        .expect("time")
}

fn customer(merchant: Uuid, tier: &str) -> CustomerCreatedV1 {
    let created = now() - TimeDelta::days(500);
    CustomerCreatedV1 {
        value_tier: tier.into(),
        lifecycle_stage: "active".into(),
        ..kuaidi_shared::testing::customer_created(Uuid::now_v7(), Some(merchant), created)
    }
}

/// A shipment `c` sent `days_ago` days before [`now`], for `freight` yuan.
fn sent(c: &CustomerCreatedV1, days_ago: i64, freight: &str) -> ShipmentCreatedV1 {
    let mut s = shipment(
        c.merchant_id.expect("merchant"),
        now() - TimeDelta::days(days_ago),
    );
    s.shipper_customer_id = Some(c.customer_id);
    s.freight.amount = freight.into();
    s
}

/// The `(recency, frequency, monetary)` scores of the RFM cells, each with its customers.
fn rfm(segments: &Value) -> Vec<(i64, i64, i64, i64)> {
    let score = |c: &Value, k: &str| c[k].as_i64().expect("score");
    segments["rfm"]
        .as_array()
        .expect("rfm")
        .iter()
        .map(|c| {
            (
                score(c, "recency_score"),
                score(c, "frequency_score"),
                score(c, "monetary_score"),
                score(c, "customers"),
            )
        })
        .collect()
}

fn total(segments: &Value) -> String {
    segments["value_tiers"][0]["value"]["amount"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_value_shares_come_from_shipments_created_even_when_no_tier_ever_changes() {
    let t = TestApp::spawn_at(now()).await;
    let merchant = Uuid::now_v7();
    let (key, small) = (customer(merchant, "key"), customer(merchant, "small"));
    for (c, freight) in [(&key, "900.00"), (&small, "60.00")] {
        t.emit(c, c.created_at).await;
        let s = sent(c, 3, freight);
        t.emit(&s, s.created_at).await;
    }
    // Two more shipments of the small customer: its spend grows with no tier event at all.
    for _ in 0..2 {
        let s = sent(&small, 2, "20.00");
        t.emit(&s, s.created_at).await;
    }

    let segments = t
        .get_when(
            &t.admin(),
            "/api/v1/analytics/segments",
            "both customers' freight",
            |s| s["value_tiers"][1]["value"]["amount"] == "100.00",
        )
        .await;
    let tiers = &segments["value_tiers"];
    assert_eq!(
        (&tiers[0]["tier"], &tiers[0]["value"]["amount"]),
        (&json!("key"), &json!("900.00")),
        "{segments}"
    );
    assert_eq!(tiers[0]["value_share"], 0.9);
    assert_eq!(tiers[1]["tier"], "small");
    assert_eq!(tiers[1]["value_share"], 0.1);
    assert_eq!(
        segments["pareto"][0],
        json!({"customer_share": 0.5, "value_share": 0.9})
    );
    t.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shipments_older_than_12_months_leave_the_spend_and_the_frequency() {
    let t = TestApp::spawn_at(now()).await;
    let merchant = Uuid::now_v7();
    let (old_hand, steady) = (customer(merchant, "small"), customer(merchant, "small"));
    t.emit(&old_hand, old_hand.created_at).await;
    t.emit(&steady, steady.created_at).await;
    // The old hand shipped a lot over a year ago, once 330 days ago and once yesterday; the
    // steady one three times last week.
    let mut all: Vec<ShipmentCreatedV1> = (0..3).map(|_| sent(&old_hand, 400, "5000.00")).collect();
    all.push(sent(&old_hand, 330, "700.00"));
    all.push(sent(&old_hand, 1, "10.00"));
    all.extend((0..3).map(|_| sent(&steady, 5, "20.00")));
    for s in &all {
        t.emit(s, s.created_at).await;
    }

    let admin = t.admin();
    let segments = t
        .get_when(&admin, "/api/v1/analytics/segments", "8 shipments", |s| {
            total(s) == "770.00"
        })
        .await;
    // Over 12 months the old hand shipped twice (less often than the steady one's three) for
    // 710.00 (more than 60.00); it shipped last.
    assert_eq!(
        rfm(&segments),
        vec![(2, 1, 2, 1), (1, 2, 1, 1)],
        "{segments}"
    );

    // Two months on, the shipment of 330 days ago is over 12 months old too.
    t.clock.advance(TimeDelta::days(60));
    let later = t.get_json(&admin, "/api/v1/analytics/segments").await;
    assert_eq!(total(&later), "70.00", "10.00 + 60.00: {later}");
    assert_eq!(rfm(&later), vec![(2, 1, 1, 1), (1, 2, 2, 1)], "{later}");
    t.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_undone_merge_gives_the_duplicate_back_its_customer_and_its_spend() {
    let t = TestApp::spawn_at(now()).await;
    let merchant = Uuid::now_v7();
    let (survivor, duplicate) = (customer(merchant, "key"), customer(merchant, "small"));
    for (c, freight) in [(&survivor, "900.00"), (&duplicate, "100.00")] {
        t.emit(c, c.created_at).await;
        let s = sent(c, 3, freight);
        t.emit(&s, s.created_at).await;
    }
    let admin = t.admin();
    let path = "/api/v1/analytics/segments";
    let apart = t
        .get_when(&admin, path, "both customers' freight", |s| {
            s["value_tiers"][1]["value"]["amount"] == "100.00"
        })
        .await;
    let merge_id = Uuid::now_v7();
    let merged = CustomerMergedV1 {
        merge_id,
        survivor_id: survivor.customer_id,
        duplicate_id: duplicate.customer_id,
        merged_at: now(),
    };
    t.emit(&merged, now()).await;
    let one = t
        .get_when(&admin, path, "the survivor holds all", |s| {
            total(s) == "1000.00"
        })
        .await;
    assert_eq!(one["pareto"][0]["customer_share"], 1.0, "{one}");

    let undone = CustomerMergeUndoneV1 {
        merge_id,
        survivor_id: survivor.customer_id,
        duplicate_id: duplicate.customer_id,
        undone_at: now(),
    };
    t.emit(&undone, now()).await;
    t.emit(&undone, now()).await;
    let back = t
        .get_when(&admin, path, "two customers again", |s| {
            total(s) == "900.00"
        })
        .await;
    assert_eq!(back["value_tiers"], apart["value_tiers"], "{back}");
    assert_eq!(back["pareto"], apart["pareto"]);
    assert_eq!(back["rfm"], apart["rfm"]);
    t.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn equal_figures_share_an_rfm_cell_scored_over_every_customer_as_their_files_show() {
    let t = TestApp::spawn_at(now()).await;
    let (a, b) = (Uuid::now_v7(), Uuid::now_v7());
    let mut shipped = Vec::new();
    // Merchant A: four customers shipping the same day, two once for 10.00, two twice.
    for parcels in [1, 1, 2, 2] {
        let c = customer(a, "small");
        t.emit(&c, c.created_at).await;
        shipped.extend((0..parcels).map(|_| sent(&c, 3, "10.00")));
    }
    // Merchant B: one customer shipping more, later.
    let big = customer(b, "key");
    t.emit(&big, big.created_at).await;
    shipped.extend((0..5).map(|_| sent(&big, 1, "100.00")));
    for s in &shipped {
        t.emit(s, s.created_at).await;
    }

    let admin = t.admin();
    let everyone = t
        .get_when(&admin, "/api/v1/analytics/segments", "11 shipments", |s| {
            let tiers = &s["value_tiers"];
            rfm(s).iter().map(|c| c.3).sum::<i64>() == 5
                && tiers[0]["value"]["amount"] == "500.00"
                && tiers[1]["value"]["amount"] == "60.00"
        })
        .await;
    // Ranked over all five (as the customers service ranks them): A's four share the day
    // (middle position 2 of 5: quintile 2); equal frequencies and spends share a quintile.
    let a_cells = vec![(2, 3, 3, 2), (2, 1, 1, 2)];
    let mut all = vec![(5, 5, 5, 1)];
    all.extend(a_cells.iter().copied());
    assert_eq!(rfm(&everyone), all, "{everyone}");
    let scoped = t
        .get_json(
            &admin,
            &format!("/api/v1/analytics/segments?merchant_id={a}"),
        )
        .await;
    assert_eq!(
        rfm(&scoped),
        a_cells,
        "a merchant's cells as its customers' files show: {scoped}"
    );
    t.stop().await;
}
