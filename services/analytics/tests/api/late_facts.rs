//! Facts whose earlier time becomes known late: the first in-transit scan a delivery carries
//! (a late, older scan moved no status, so no `shipment.status_changed` told it), an older
//! in-transit scan handled after the delivery was counted, and exception scans older than the
//! delivery, arriving after it. Each fact counts once, at its earliest time, in every rollup.

use chrono::{DateTime, TimeZone, Utc};
use serde_json::{json, Value};
use uuid::Uuid;

use crate::helpers::{delivered, event, exception, in_transit, shipment, TestApp};

fn at(day: u32, h: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, day, h, 0, 0)
        .single()
        .expect("time")
}

/// `GET /kpis?{query}` once `field` of its first row reads `value`.
async fn first_row_when(t: &TestApp, query: &str, field: &str, value: Value) -> Value {
    let path = format!("/api/v1/analytics/kpis?{query}");
    let what = format!("{field} = {value} in {query}");
    let report = t
        .get_when(&t.admin(), &path, &what, |r| r["data"][0][field] == value)
        .await;
    report["data"][0].clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_transit_time_runs_from_the_earliest_in_transit_scan_in_every_rollup() {
    let t = TestApp::spawn_at(at(25, 23)).await;
    let merchant = Uuid::now_v7();
    let ships: Vec<_> = (0..3).map(|_| shipment(merchant, at(25, 1))).collect();
    for s in &ships {
        t.emit(s, s.created_at).await;
    }
    let day = "from=2026-11-25&to=2026-11-25";
    // C: in transit at 10:00, delivered at 20:00 by a producer that did not tell the first
    // scan: 10 h, counted.
    t.emit(&in_transit(&ships[2], at(25, 10)), at(25, 10)).await;
    t.emit(&delivered(&ships[2], at(25, 20), true), at(25, 20))
        .await;
    first_row_when(&t, day, "avg_transit_hours", json!(10.0)).await;
    // A: the status moved at 06:00, an older scan at 02:00 moved nothing; the delivery at
    // 22:00 tells it: 20 h, not 16 h.
    t.emit(&in_transit(&ships[0], at(25, 6)), at(25, 6)).await;
    let mut told = delivered(&ships[0], at(25, 22), true);
    told.first_in_transit_at = Some(at(25, 2));
    t.emit(&told, at(25, 22)).await;
    // B: delivered at 20:00 telling a first scan at 08:00 before any status change arrived;
    // the status change (at 09:00) comes after: 12 h.
    let mut first = delivered(&ships[1], at(25, 20), false);
    first.first_in_transit_at = Some(at(25, 8));
    t.emit(&first, at(25, 20)).await;
    t.emit(&in_transit(&ships[1], at(25, 9)), at(25, 9)).await;
    // C again: its first scan at 04:00 handled after its delivery was counted (queues reorder):
    // its one transit time becomes 16 h.
    t.emit(&in_transit(&ships[2], at(25, 4)), at(25, 4)).await;

    // (20 + 12 + 16) / 3: one sample per delivery, the longer one.
    let row = first_row_when(&t, day, "avg_transit_hours", json!(16.0)).await;
    assert_eq!(row["delivered"], 3);
    assert_eq!(row["on_time_rate"], 0.6667);
    // The day slices (UTC), the hourly slices (New York, 5 h behind: the deliveries are on its
    // 25th) and the 15-minute rows (two filters) hold the same.
    for query in [
        "&city=北京",
        "&tz=America/New_York",
        "&city=北京&province=北京",
    ] {
        let other = t.kpis_json(&format!("{day}{query}")).await;
        let other = &other["data"][0];
        for field in ["delivered", "avg_transit_hours", "on_time_rate"] {
            assert_eq!(other[field], row[field], "{field} of {query}");
        }
    }
    t.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_late_exception_of_a_delivered_shipment_counts_once_at_its_own_time() {
    let t = TestApp::spawn_at(at(25, 23)).await;
    let merchant = Uuid::now_v7();
    let parcel = shipment(merchant, at(24, 12));
    let other = shipment(merchant, at(25, 1));
    for s in [&parcel, &other] {
        t.emit(s, s.created_at).await;
    }
    t.emit(&in_transit(&parcel, at(24, 14)), at(24, 14)).await;
    t.emit(&delivered(&parcel, at(25, 20), true), at(25, 20))
        .await;
    let days = "from=2026-11-24&to=2026-11-25";
    first_row_when(&t, "from=2026-11-25&to=2026-11-25", "delivered", json!(1)).await;
    // Scanned damaged at 08:00 on the 25th, before the delivery, told after it (the producer
    // raises an exception for every exception scan, even one that moves no status), twice.
    let damaged = exception(&parcel, "damaged", at(25, 8));
    let damaged = event(&damaged, parcel.shipment_id, at(25, 8));
    t.publish(&damaged).await;
    t.publish(&damaged).await;
    let path = format!("/api/v1/analytics/kpis?{days}");
    t.get_when(&t.admin(), &path, "the damage on the 25th", |r| {
        r["data"][1]["damage_rate"] == 1.0
    })
    .await;
    // An even older one (delayed, on the 24th): the shipment's exception moves to it; its
    // damage stays where it was scanned.
    t.emit(&exception(&parcel, "delayed", at(24, 20)), at(24, 20))
        .await;
    let report = t
        .get_when(&t.admin(), &path, "the exception on the 24th", |r| {
            r["data"][0]["exception_rate"] == 1.0
        })
        .await;
    let (before, day) = (&report["data"][0], &report["data"][1]);
    assert_eq!(before["shipments"], 1);
    assert_eq!(before["damage_rate"], 0.0);
    assert_eq!(day["shipments"], 1, "the other parcel");
    assert_eq!(day["exception_rate"], 0.0, "counted once, on the 24th");
    assert_eq!(day["damage_rate"], 1.0, "damaged once");
    assert_eq!(day["delivered"], 1, "the delivery untouched");
    assert_eq!(day["on_time_rate"], 1.0);
    assert_eq!(day["avg_transit_hours"], 30.0);
    // The week holds the shipment's exception and its damage once each.
    let week = t
        .kpis_json("from=2026-11-25&to=2026-11-25&granularity=week")
        .await;
    let week = &week["data"][0];
    assert_eq!(week["shipments"], 2);
    assert_eq!(week["exception_rate"], 0.5);
    assert_eq!(week["damage_rate"], 0.5);
    t.stop().await;
}

#[derive(diesel::QueryableByName, Debug, PartialEq)]
struct Sums {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    shipments: i64,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    delivered: i64,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    transit_count: i64,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    transit_seconds: i64,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    excepted: i64,
}

fn sums(conn: &mut diesel::PgConnection, table: &str) -> Sums {
    use diesel::RunQueryDsl;
    let sql = format!(
        "SELECT COALESCE(SUM(shipments), 0)::bigint AS shipments, \
           COALESCE(SUM(delivered), 0)::bigint AS delivered, \
           COALESCE(SUM(transit_count), 0)::bigint AS transit_count, \
           COALESCE(SUM(transit_seconds), 0)::bigint AS transit_seconds, \
           COALESCE(SUM(excepted), 0)::bigint AS excepted FROM {table}"
    );
    diesel::sql_query(sql).get_result(conn).expect("sums")
}

/// Facts counted by the release before are taken as counted at the times it knew: nothing is
/// counted again, and an earlier time learnt later moves them in every rollup.
#[test]
fn the_facts_counted_before_the_migration_move_when_an_earlier_time_is_learnt() {
    use diesel::{Connection, RunQueryDsl};
    use diesel_migrations::MigrationHarness;
    use kuaidi_analytics::db::shipments::{record_all, settle_all, Fact, Noted};
    use kuaidi_analytics::startup::MIGRATIONS;

    let url = kuaidi_shared::testing::migrated_database("analytics", MIGRATIONS);
    let mut conn = diesel::PgConnection::establish(&url).expect("a connection");
    crate::helpers::revert_to_before(&mut conn, "2026120510000");
    let id = Uuid::now_v7();
    diesel::sql_query(
        "INSERT INTO shipment_facts (shipment_id, tracking_number, created_at, in_transit_at, \
           delivered_at, on_time, exception_at, counted) \
         VALUES ($1, 'KD1', '2026-11-25T01:00:00Z', '2026-11-25T10:00:00Z', \
           '2026-11-25T20:00:00Z', true, '2026-11-25T09:00:00Z', \
           '{created,delivered,transit,exception}')",
    )
    .bind::<diesel::sql_types::Uuid, _>(id)
    .execute(&mut conn)
    .expect("a shipment counted by the release before");
    conn.run_pending_migrations(MIGRATIONS).expect("migrated");

    let learn = |conn: &mut diesel::PgConnection, fact: Fact, h: u32| {
        let noted = Noted {
            shipment_id: id,
            tracking_number: "KD1",
            fact,
            at: at(25, h),
        };
        conn.transaction(|c| {
            record_all(c, &[noted])?;
            settle_all(c, &[id])
        })
        .expect("settled");
    };
    learn(&mut conn, Fact::InTransit, 12);
    learn(&mut conn, Fact::Exception, 11);
    let nothing = Sums {
        shipments: 0,
        delivered: 0,
        transit_count: 0,
        transit_seconds: 0,
        excepted: 0,
    };
    let all = "WHERE dim = '' AND merchant_id = 'ffffffff-ffff-ffff-ffff-ffffffffffff'";
    let tables = [
        "kpi_rollup".to_owned(),
        format!("kpi_hourly {all}"),
        format!("kpi_days {all} AND utc_offset = 480"),
    ];
    for table in &tables {
        assert_eq!(sums(&mut conn, table), nothing, "counted already: {table}");
    }
    learn(&mut conn, Fact::InTransit, 4);
    learn(&mut conn, Fact::Exception, 6);
    let moved = Sums {
        transit_seconds: 6 * 3600,
        ..nothing
    };
    for table in &tables {
        assert_eq!(sums(&mut conn, table), moved, "10 h became 16 h: {table}");
    }
    let at_six = sums(
        &mut conn,
        "kpi_rollup WHERE bucket = '2026-11-25T06:00:00Z'",
    );
    assert_eq!(at_six.excepted, 1, "the exception moved to 06:00");
}

#[derive(diesel::QueryableByName, Debug, PartialEq)]
struct Version {
    /// The row version's transaction (changes with every write of the row).
    #[diesel(sql_type = diesel::sql_types::Text)]
    xmin: String,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Bool>)]
    on_time: Option<bool>,
}

/// Most scans repeat a status the shipment had: a fact no earlier than the one stored writes
/// nothing (the row keeps its version) and is not reported for settling; an earlier one, or a
/// new shipment, is — with the earliest delivery's on-time.
#[test]
fn only_the_facts_that_make_a_time_earlier_are_written_and_settled() {
    use diesel::{Connection, RunQueryDsl};
    use kuaidi_analytics::db::shipments::{record_all, Fact, Noted};
    use kuaidi_analytics::startup::MIGRATIONS;

    let url = kuaidi_shared::testing::migrated_database("analytics", MIGRATIONS);
    let mut conn = diesel::PgConnection::establish(&url).expect("a connection");
    let (a, b) = (Uuid::now_v7(), Uuid::now_v7());
    let none: Vec<Uuid> = Vec::new();
    let noted = |shipment_id, fact, h| Noted {
        shipment_id,
        tracking_number: "KD1",
        fact,
        at: at(25, h),
    };
    let mut record = |facts: &[Noted]| record_all(&mut conn, facts).expect("recorded");
    assert_eq!(
        record(&[noted(a, Fact::InTransit, 10)]),
        vec![a],
        "a new row"
    );
    let version = |conn: &mut diesel::PgConnection| -> Version {
        diesel::sql_query(
            "SELECT xmin::text AS xmin, on_time FROM shipment_facts WHERE shipment_id = $1",
        )
        .bind::<diesel::sql_types::Uuid, _>(a)
        .get_result(conn)
        .expect("the row")
    };
    let first = version(&mut conn);
    let mut record = |facts: &[Noted]| record_all(&mut conn, facts).expect("recorded");
    let later = [noted(a, Fact::InTransit, 12), noted(b, Fact::InTransit, 9)];
    assert_eq!(record(&later), vec![b], "a's later scan changes nothing");
    assert_eq!(
        record(&[noted(a, Fact::InTransit, 10)]),
        none,
        "nor the same again"
    );
    assert_eq!(version(&mut conn), first, "a's row not rewritten");
    let mut record = |facts: &[Noted]| record_all(&mut conn, facts).expect("recorded");
    assert_eq!(
        record(&[noted(a, Fact::InTransit, 8)]),
        vec![a],
        "an earlier scan"
    );
    let on_time = |on_time| Fact::Delivered { on_time };
    assert_eq!(record(&[noted(a, on_time(true), 20)]), vec![a]);
    assert_eq!(
        record(&[noted(a, on_time(false), 21)]),
        none,
        "a later delivery"
    );
    assert_eq!(
        version(&mut conn).on_time,
        Some(true),
        "the earliest delivery's"
    );
    let mut record = |facts: &[Noted]| record_all(&mut conn, facts).expect("recorded");
    assert_eq!(
        record(&[noted(a, on_time(false), 19)]),
        vec![a],
        "an earlier delivery"
    );
    assert_eq!(record(&[noted(a, Fact::Exception, 19)]), vec![a]);
    assert_eq!(
        version(&mut conn).on_time,
        Some(false),
        "the earliest delivery's"
    );
}
