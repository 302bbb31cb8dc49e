//! Every KPI fed by its events through RabbitMQ: shipments delivered on time or late,
//! exceptions, the life of complaint cases, surveys, claims and customers.

use chrono::{DateTime, TimeDelta, TimeZone, Utc};
use kuaidi_shared::events::catalogue::*;
use kuaidi_shared::money::Money;
use serde_json::{json, Value};
use uuid::Uuid;

use crate::helpers::{
    complaint, delivered, event as envelope, exception, in_transit, payload, shipment, TestApp,
};

fn at(h: u32, m: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 25, h, m, 0)
        .single()
        .expect("time")
}

/// The day's row of `GET /kpis` once `field` reads `value`.
async fn day_when(t: &TestApp, query: &str, field: &str, value: Value) -> Value {
    let path = format!("/api/v1/analytics/kpis?from=2026-11-25&to=2026-11-25{query}");
    let report = t
        .get_when(&t.admin(), &path, &format!("{field} = {value}"), |r| {
            r["data"][0][field] == value
        })
        .await;
    report["data"][0].clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn four_shipments_two_delivered_one_late_one_damaged_and_one_complaint() {
    let t = TestApp::spawn_at(at(23, 0)).await;
    let merchant = Uuid::now_v7();
    let ships: Vec<_> = (0..4).map(|_| shipment(merchant, at(1, 0))).collect();
    // The delivery of the first arrives before its creation: it waits for the dimensions.
    t.emit(&delivered(&ships[0], at(20, 0), true), at(20, 0))
        .await;
    for s in &ships {
        t.emit(s, s.created_at).await;
    }
    t.emit(&in_transit(&ships[1], at(2, 0)), at(2, 0)).await;
    t.emit(&delivered(&ships[1], at(22, 0), false), at(22, 0))
        .await;
    // Damaged twice (two scans): one damaged shipment.
    t.emit(&exception(&ships[2], "damaged", at(9, 0)), at(9, 0))
        .await;
    t.emit(&exception(&ships[2], "damaged", at(10, 0)), at(10, 0))
        .await;
    let mut c = complaint(merchant, at(12, 0));
    c.tracking_number = Some(ships[2].tracking_number.clone());
    t.emit(&c, at(12, 0)).await;

    let row = day_when(&t, "", "complaints", json!(1)).await;

    assert_eq!(row["shipments"], 4);
    assert_eq!(row["delivered"], 2);
    assert_eq!(row["on_time_rate"], 0.5);
    assert_eq!(row["damage_rate"], 0.25);
    assert_eq!(row["loss_rate"], 0.0);
    assert_eq!(row["exception_rate"], 0.25, "one shipment with exceptions");
    assert_eq!(row["avg_transit_hours"], 20.0, "02:00 in transit → 22:00");
    assert_eq!(row["complaint_rate_per_10k"], 2500.0);
    // The hourly slices (no filter, one city) and the 15-minute rows (two filters) agree.
    let beijing = day_when(&t, "&city=%E5%8C%97%E4%BA%AC", "complaints", json!(1)).await;
    assert_eq!(beijing, row);
    let fine = day_when(&t, "&city=北京&province=北京", "complaints", json!(1)).await;
    assert_eq!(fine, row);
    // The complaint took the shipment's hub and service level: filters see it.
    let express = day_when(&t, "&service_level=express", "complaints", json!(1)).await;
    assert_eq!(express["shipments"], 4);
    let other = t
        .get(
            &t.admin(),
            "/api/v1/analytics/kpis?from=2026-11-25&to=2026-11-25&service_level=same_day",
        )
        .await;
    let other: Value = other.json().await.expect("json");
    assert_eq!(other["data"][0]["shipments"], 0);
    assert!(
        other["data"][0]["damage_rate"].is_null(),
        "no shipments, no rate"
    );
    t.stop().await;
}

/// Scans come by the thousand, as batch messages: a run of them is written in a few statements.
/// A shipment twice in one run keeps its earliest time, a delivery scanned twice counts once,
/// and two kinds of exception of one shipment count once each.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn facts_arriving_together_count_as_if_one_by_one() {
    let t = TestApp::spawn_at(at(23, 30)).await;
    let merchant = Uuid::now_v7();
    let ships: Vec<_> = (0..3).map(|_| shipment(merchant, at(1, 0))).collect();
    for s in &ships {
        t.emit(s, s.created_at).await;
    }
    let mut out_for_delivery = in_transit(&ships[1], at(5, 0));
    out_for_delivery.to = "out_for_delivery".into();
    t.emit_batch(&[
        (in_transit(&ships[0], at(3, 0)), at(3, 0)),
        (in_transit(&ships[0], at(2, 0)), at(2, 0)),
        (in_transit(&ships[1], at(4, 0)), at(4, 0)),
        (out_for_delivery, at(5, 0)),
    ])
    .await;
    t.emit_batch(&[
        (delivered(&ships[0], at(22, 0), true), at(22, 0)),
        (delivered(&ships[1], at(22, 30), false), at(22, 30)),
        (delivered(&ships[0], at(22, 5), true), at(22, 5)),
    ])
    .await;
    t.emit_batch(&[
        (exception(&ships[2], "damaged", at(9, 0)), at(9, 0)),
        (exception(&ships[2], "damaged", at(10, 0)), at(10, 0)),
        (exception(&ships[2], "lost", at(11, 0)), at(11, 0)),
    ])
    .await;

    let path = "/api/v1/analytics/kpis?from=2026-11-25&to=2026-11-25";
    let report = t
        .get_when(&t.admin(), path, "two deliveries and a loss", |r| {
            r["data"][0]["delivered"] == 2 && r["data"][0]["loss_rate"] == 0.3333
        })
        .await;
    let row = &report["data"][0];
    assert_eq!(row["shipments"], 3);
    assert_eq!(
        row["delivered"], 2,
        "the second scan of one delivery is not a delivery"
    );
    assert_eq!(row["on_time_rate"], 0.5);
    assert_eq!(
        row["avg_transit_hours"], 19.25,
        "02:00 → 22:00 (the earlier of two in-transit scans) and 04:00 → 22:30"
    );
    assert_eq!(
        row["damage_rate"], 0.3333,
        "damaged twice: one damaged shipment"
    );
    assert_eq!(
        row["exception_rate"], 0.3333,
        "three exceptions of one shipment"
    );
    t.stop().await;
}

/// Two replicas' consumers add to the rollups at once, each a run of one city and then one of
/// another, in opposite orders: every hour's all-merchants row is shared, so without turns the
/// second would hold what the first needs next while waiting for what the first holds — a
/// deadlock, one transaction rolled back. Both commit, and every increment counts.
#[test]
fn two_writers_adding_in_opposite_orders_take_turns() {
    use diesel::prelude::*;
    use kuaidi_analytics::db::rollup;
    use kuaidi_analytics::domain::facts::{Counters, Dims, Fact};
    use std::time::Duration;

    let url = kuaidi_shared::testing::migrated_database(
        "analytics",
        kuaidi_analytics::startup::MIGRATIONS,
    );
    let pool = kuaidi_shared::db::build_pool(&url, 4);
    let fact = |city: &str| {
        let dims = Dims {
            city: city.into(),
            ..Dims::default()
        };
        let counters = Counters {
            shipments: 1,
            ..Counters::default()
        };
        vec![Fact::new(at(10, 0), dims, counters)]
    };
    let writer = |first: Vec<Fact>, then: Vec<Fact>, after: Duration| {
        let pool = pool.clone();
        std::thread::spawn(move || {
            std::thread::sleep(after);
            let mut conn = pool.get().expect("a connection");
            conn.transaction::<_, anyhow::Error, _>(|c| {
                rollup::add(c, &first)?;
                std::thread::sleep(Duration::from_millis(400));
                rollup::add(c, &then)
            })
        })
    };
    let one = writer(fact("北京"), fact("上海"), Duration::ZERO);
    let two = writer(fact("上海"), fact("北京"), Duration::from_millis(150));
    let results = [one.join(), two.join()].map(|r| r.expect("no panic").map_err(|e| e.to_string()));
    assert_eq!(results, [Ok(()), Ok(())], "both writers commit");

    #[derive(QueryableByName)]
    struct Sum {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    let mut conn = pool.get().expect("a connection");
    let sum = diesel::sql_query("SELECT COALESCE(SUM(shipments), 0)::bigint AS n FROM kpi_rollup")
        .get_result::<Sum>(&mut conn)
        .expect("the sum");
    assert_eq!(sum.n, 4, "two shipments a city, from each writer one");
}

fn case_fields(c: &ComplaintReceivedV1, handler: Uuid) -> Value {
    json!({
        "complaint_id": c.complaint_id, "number": c.number, "merchant_id": c.merchant_id,
        "category": c.category, "city": c.city, "assignee_id": handler,
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn case_handling_surveys_and_claims_fill_their_kpis_and_agents_see_their_own() {
    let t = TestApp::spawn_at(at(23, 0)).await;
    let merchant = Uuid::now_v7();
    let (alice, bob) = (Uuid::now_v7(), Uuid::now_v7());
    let received = at(0, 15);
    let cases: Vec<_> = (0..2).map(|_| complaint(merchant, received)).collect();
    for (c, handler) in cases.iter().zip([alice, bob]) {
        t.emit(c, received).await;
        let base = case_fields(c, handler);
        let first: ComplaintFirstRespondedV1 = payload(
            &base,
            json!({
            "received_at": received, "responded_at": at(1, 0), "within_sla": handler == alice}),
        );
        t.emit(&first, at(1, 0)).await;
        let closed: ComplaintClosedV1 = payload(
            &base,
            json!({
            "received_at": received, "closed_at": at(20, 0), "type": "complaint"}),
        );
        t.emit(&closed, at(20, 0)).await;
        let survey: SurveySubmittedV1 = payload(
            &base,
            json!({
            "survey_id": Uuid::now_v7(), "overall": if handler == alice { 5 } else { 2 },
            "via": "agent", "submitted_at": at(21, 0)}),
        );
        t.emit(&survey, at(21, 0)).await;
    }
    let bobs = case_fields(&cases[1], bob);
    let reopened: ComplaintReopenedV1 = payload(
        &bobs,
        json!({"reason": "unhappy", "reopened_at": at(21, 30)}),
    );
    t.emit(&reopened, at(21, 30)).await;
    let breach: ComplaintSlaBreachedV1 = payload(
        &bobs,
        json!({"clock": "resolution",
        "due_at": at(22, 0), "elapsed_ratio": 1.0, "occurred_at": at(22, 0)}),
    );
    t.emit(&breach, at(22, 0)).await;
    let claim = ClaimSettledV1 {
        claim_id: Uuid::now_v7(),
        complaint_id: Some(cases[0].complaint_id),
        tracking_number: "KD1".into(),
        kind: "damaged".into(),
        customer_id: None,
        merchant_id: Some(merchant),
        outcome: "paid".into(),
        amount_paid: Some(Money {
            amount: "120.50".into(),
            currency: "CNY".into(),
        }),
        settled_at: at(22, 30),
    };
    t.emit(&claim, at(22, 30)).await;

    let row = day_when(
        &t,
        "",
        "claims_paid",
        json!({"amount": "120.50", "currency": "CNY"}),
    )
    .await;

    assert_eq!(row["complaints"], 2);
    assert_eq!(row["first_response_sla_rate"], 0.5);
    assert_eq!(row["resolved_within_24h_rate"], 1.0);
    assert_eq!(row["resolved_within_48h_rate"], 1.0);
    assert_eq!(row["csat_avg"], 3.5);
    assert_eq!(row["satisfied_rate"], 0.5);
    assert_eq!(row["reopen_rate"], 0.5);
    assert_eq!(row["sla_breaches"], 1);
    // Alice sees her own case figures only.
    let mine = t
        .get(
            &t.agent(alice),
            "/api/v1/analytics/kpis?from=2026-11-25&to=2026-11-25",
        )
        .await;
    let mine: Value = mine.json().await.expect("json");
    let mine = &mine["data"][0];
    assert_eq!(mine["first_response_sla_rate"], 1.0);
    assert_eq!(mine["csat_avg"], 5.0);
    assert_eq!(mine["reopen_rate"], 0.0);
    assert_eq!(mine["sla_breaches"], 0);
    assert_eq!(mine["shipments"], 0, "no one else's figures");
    t.stop().await;
}

fn created_customer(id: Uuid, when: DateTime<Utc>) -> CustomerCreatedV1 {
    CustomerCreatedV1 {
        city: Some("北京".into()),
        province: Some("北京".into()),
        lifecycle_stage: "new".into(),
        ..kuaidi_shared::testing::customer_created(id, None, when)
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn customers_are_new_active_retained_churned_and_repurchasing_per_period() {
    let t = TestApp::spawn_at(at(23, 0)).await;
    let merchant = Uuid::now_v7();
    let ids: Vec<Uuid> = (0..3).map(|_| Uuid::now_v7()).collect();
    let yesterday = at(12, 0) - TimeDelta::days(1);
    for id in &ids {
        t.emit(&created_customer(*id, yesterday), yesterday).await;
    }
    let ship = |customer: Uuid, when: DateTime<Utc>| {
        let mut s = shipment(merchant, when);
        s.shipper_customer_id = Some(customer);
        s
    };
    // Yesterday: customers 0 and 1 shipped. Today: 0 twice and 2 once.
    for (c, when) in [
        (ids[0], yesterday),
        (ids[1], yesterday),
        (ids[0], at(9, 0)),
        (ids[0], at(10, 0)),
        (ids[2], at(11, 0)),
    ] {
        t.emit(&ship(c, when), when).await;
    }
    let path = "/api/v1/analytics/kpis?from=2026-11-24&to=2026-11-25";
    let report = t
        .get_when(&t.admin(), path, "five shipments", |r| {
            r["data"][1]["shipments"] == 3
        })
        .await;
    let (before, today) = (&report["data"][0], &report["data"][1]);
    assert_eq!(before["new_customers"], 3);
    assert_eq!(before["active_customers"], 2);
    assert_eq!(today["new_customers"], 0);
    assert_eq!(today["active_customers"], 2);
    assert_eq!(today["retention_rate"], 0.5, "customer 0 of 0 and 1");
    assert_eq!(today["churn_rate"], 0.5, "customer 1 stopped");
    assert_eq!(today["repurchase_rate"], 0.5, "customer 0 shipped twice");
    t.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn local_days_of_the_zone_asked_for_split_at_local_midnight() {
    let t = TestApp::spawn_at(at(23, 0)).await;
    let merchant = Uuid::now_v7();
    // 15:30 UTC is 23:30 in Shanghai; 16:30 UTC is 00:30 the next day there.
    for when in [at(15, 30), at(16, 30), at(16, 45)] {
        t.emit(&shipment(merchant, when), when).await;
    }
    let utc = t
        .get_when(
            &t.admin(),
            "/api/v1/analytics/kpis?from=2026-11-25&to=2026-11-26",
            "3 shipments",
            |r| r["data"][0]["shipments"] == 3,
        )
        .await;
    assert_eq!(utc["data"][1]["shipments"], 0);
    let shanghai = t
        .kpis_json("from=2026-11-25&to=2026-11-26&tz=Asia/Shanghai")
        .await;
    assert_eq!(shanghai["data"][0]["shipments"], 1);
    assert_eq!(shanghai["data"][1]["shipments"], 2);
    assert_eq!(shanghai["data"][1]["period_start"], "2026-11-26");
    // Kolkata is UTC+5:30: 16:30 UTC is 22:00 there, still the 25th.
    let kolkata = t
        .kpis_json("from=2026-11-25&to=2026-11-25&tz=Asia/Kolkata")
        .await;
    assert_eq!(kolkata["data"][0]["shipments"], 3);
    t.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_complaint_categorised_at_triage_counts_under_its_new_category() {
    let t = TestApp::spawn_at(at(23, 0)).await;
    let merchant = Uuid::now_v7();
    let mut c = complaint(merchant, at(8, 0));
    c.category = None;
    t.emit(&c, c.received_at).await;
    let triaged: ComplaintStatusChangedV1 = payload(
        &case_fields(&c, Uuid::now_v7()),
        json!({"category": "damaged", "from": "received", "to": "triaged", "action": "triage",
               "occurred_at": at(9, 0)}),
    );
    t.emit(&triaged, at(9, 0)).await;

    let path = "/api/v1/analytics/complaint-hotspots?from=2026-11-25&to=2026-11-25";
    let h = t
        .get_when(&t.admin(), path, "the damaged complaint", |h| {
            h["by_city"][0]["category"] == "damaged"
        })
        .await;
    assert_eq!(
        h["by_city"].as_array().map(Vec::len),
        Some(1),
        "nothing left uncategorised: {h}"
    );
    assert_eq!(h["by_city"][0]["complaints"], 1);
    let row = day_when(&t, "", "complaints", json!(1)).await;
    assert_eq!(row["complaints"], 1, "still one complaint in all");
    t.stop().await;
}

/// Scans, deliveries and exceptions keep no `processed_events` row (each fact is kept once per
/// shipment, at its earliest time, and counted once): the broker handing each over twice, the
/// second time after the shipment was counted, changes no figure.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scans_handed_over_twice_count_once() {
    let t = TestApp::spawn_at(at(23, 30)).await;
    let merchant = Uuid::now_v7();
    let ships: Vec<_> = (0..2).map(|_| shipment(merchant, at(1, 0))).collect();
    for s in &ships {
        t.emit(s, s.created_at).await;
    }
    let (a, b) = (ships[0].shipment_id, ships[1].shipment_id);
    let moving = envelope(&in_transit(&ships[0], at(2, 0)), a, at(2, 0));
    let arrived = envelope(&delivered(&ships[0], at(20, 0), false), a, at(20, 0));
    let broken = envelope(&exception(&ships[1], "damaged", at(9, 0)), b, at(9, 0));
    for e in [&moving, &arrived, &broken] {
        t.publish(e).await;
    }
    day_when(&t, "", "delivered", json!(1)).await;
    for e in [&moving, &arrived, &broken] {
        t.publish(e).await;
    }
    // Handled after the copies (one queue, in order).
    t.emit(&complaint(merchant, at(12, 0)), at(12, 0)).await;

    let row = day_when(&t, "", "complaints", json!(1)).await;
    assert_eq!(row["shipments"], 2);
    assert_eq!(row["delivered"], 1);
    assert_eq!(row["on_time_rate"], 0.0);
    assert_eq!(row["damage_rate"], 0.5);
    assert_eq!(row["exception_rate"], 0.5);
    assert_eq!(row["avg_transit_hours"], 18.0, "02:00 in transit → 20:00");
    t.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_claim_paid_on_a_parcel_analytics_never_saw_counts_for_the_claims_merchant() {
    let t = TestApp::spawn_at(at(23, 0)).await;
    let merchant = Uuid::now_v7();
    let claim = ClaimSettledV1 {
        claim_id: Uuid::now_v7(),
        complaint_id: None,
        tracking_number: "KD404404404CN".into(),
        kind: "lost".into(),
        customer_id: None,
        merchant_id: Some(merchant),
        outcome: "paid".into(),
        amount_paid: Some(Money {
            amount: "88.00".into(),
            currency: "CNY".into(),
        }),
        settled_at: at(10, 0),
    };
    t.emit(&claim, at(10, 0)).await;

    let paid = json!({"amount": "88.00", "currency": "CNY"});
    day_when(&t, "", "claims_paid", paid.clone()).await;
    let row = day_when(
        &t,
        &format!("&merchant_id={merchant}"),
        "claims_paid",
        paid.clone(),
    )
    .await;
    assert_eq!(row["shipments"], 0);
    let own = t
        .kpis_as(&t.merchant_token(merchant), "from=2026-11-25&to=2026-11-25")
        .await;
    assert_eq!(
        own["data"][0]["claims_paid"], paid,
        "the merchant sees its claim"
    );
    t.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_in_transit_scan_arriving_after_the_delivery_still_gives_the_transit_time() {
    let t = TestApp::spawn_at(at(23, 0)).await;
    let merchant = Uuid::now_v7();
    let (late_scan, in_order) = (shipment(merchant, at(1, 0)), shipment(merchant, at(1, 0)));
    for s in [&late_scan, &in_order] {
        t.emit(s, s.created_at).await;
    }
    // 20 h in transit, but the delivery is handled before the scan.
    t.emit(&delivered(&late_scan, at(22, 0), true), at(22, 0))
        .await;
    day_when(&t, "", "delivered", json!(1)).await;
    t.emit(&in_transit(&late_scan, at(2, 0)), at(2, 0)).await;
    // 10 h in transit, in order.
    t.emit(&in_transit(&in_order, at(8, 0)), at(8, 0)).await;
    t.emit(&delivered(&in_order, at(18, 0), true), at(18, 0))
        .await;

    let row = day_when(&t, "", "avg_transit_hours", json!(15.0)).await;
    assert_eq!(row["delivered"], 2, "each delivery counted once");
    // A delivery again changes nothing; an older in-transit scan lengthens its shipment's one
    // transit time (20.5 h, not a second sample: (20 + 20.5 + 10) / 3 = 16.83).
    t.emit(&in_transit(&late_scan, at(1, 30)), at(1, 30)).await;
    t.emit(&delivered(&in_order, at(18, 0), true), at(18, 0))
        .await;
    let marker = shipment(merchant, at(3, 0));
    t.emit(&marker, marker.created_at).await;
    let row = day_when(&t, "", "shipments", json!(3)).await;
    assert_eq!(row["avg_transit_hours"], 15.25, "each transit counted once");
    assert_eq!(row["delivered"], 2);
    t.stop().await;
}
