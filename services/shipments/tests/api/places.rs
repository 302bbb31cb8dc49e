//! Places are stored normalised (hub codes trimmed and upper-cased, cities and provinces
//! trimmed): on shipment creation, in scans' locations, in impact queries, and — by migration
//! `2026121300500_normalised_places` — in the rows stored before.

use chrono::Utc;
use diesel::connection::SimpleConnection;
use diesel::{Connection, PgConnection};
use kuaidi_shared::testing::{eventually, expect_json, strings};
use serde_json::{json, Value};
use std::time::Duration;
use uuid::Uuid;

use crate::helpers::{
    scan_accepted, shipment_body, spawn, spawn_with_database, Shipments, TestApp,
};

const MIGRATION: &str = include_str!("../../migrations/2026121300500_normalised_places/up.sql");

async fn scan_at(t: &TestApp, tn: &str, location: Value) {
    let event = json!({"tracking_number": tn, "event_id": format!("{tn}-scan"),
        "status": "in_transit", "occurred_at": Utc::now().to_rfc3339(), "location": location});
    scan_accepted(t, event).await;
}

async fn read(t: &TestApp, tn: &str) -> Value {
    expect_json(t.shipment(&t.admin(), tn).await, 200).await
}

async fn impacted(t: &TestApp, query: &str) -> Vec<String> {
    let url = format!("/api/v1/shipments/impact?{query}");
    let body = expect_json(t.get(&t.admin(), &url).await, 200).await;
    strings(&body["data"], "tracking_number")
        .into_iter()
        .map(str::to_owned)
        .collect()
}

/// The probe: a destination hub `"lc01 "` was stored with its space, a scan at `hbf7b404` was
/// missed by `?hub_code=HBF7B404`, and the city `"北京 "` kept its space (another lane than
/// `北京`'s).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hub_codes_and_cities_are_stored_and_queried_normalised() {
    let t = spawn().await;
    let mut body = shipment_body(Uuid::now_v7());
    body["origin"] = json!({"city": "\u{3000}上海", "province": " 上海 ", "hub_code": " sha01"});
    body["destination"] = json!({"city": "北京 ", "province": " ", "hub_code": "lc01 "});

    let created = expect_json(t.create(&t.admin(), &body).await, 201).await;

    let tn = created["tracking_number"].as_str().expect("tn").to_owned();
    let places = json!({"origin": {"city": "上海", "province": "上海", "hub_code": "SHA01"},
        "destination": {"city": "北京", "province": null, "hub_code": "LC01"}});
    for shown in [&created, &read(&t, &tn).await] {
        assert_eq!(shown["origin"], places["origin"], "{shown}");
        assert_eq!(shown["destination"], places["destination"], "{shown}");
    }

    scan_at(
        &t,
        &tn,
        json!({"hub_code": "hbf7b404 ", "city": " 杭州", "province": "浙江 "}),
    )
    .await;

    let timeline = read(&t, &tn).await["timeline"].clone();
    assert_eq!(
        timeline[0]["location"],
        json!({"hub_code": "HBF7B404", "city": "杭州", "province": "浙江"}),
        "{timeline}"
    );
    for query in [
        "hub_code=HBF7B404",
        "hub_code=hbf7b404",
        "hub_code=%20Hbf7b404%20",
    ] {
        assert_eq!(impacted(&t, query).await, vec![tn.clone()], "{query}");
    }
    assert_eq!(impacted(&t, "hub_code=lc01").await, vec![tn.clone()]);
    assert_eq!(
        impacted(&t, "city=%E5%8C%97%E4%BA%AC%20").await,
        vec![tn.clone()],
        "北京 "
    );
    t.app.stop().await;
}

/// Rows stored before the normalisation are brought to the same form by the migration, which
/// gives their shipments a new version (so their ETags change).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_migration_normalises_the_places_stored_before() {
    let (t, url) = spawn_with_database().await;
    let tn = t.created().await["tracking_number"]
        .as_str()
        .expect("tn")
        .to_owned();
    scan_at(&t, &tn, json!({"hub_code": "HBF7B404", "city": "杭州"})).await;
    let before = read(&t, &tn).await["version"].clone();
    let mut conn = PgConnection::establish(&url).expect("the service's database");
    // As the service stored them before it normalised places.
    conn.batch_execute(&format!(
        "UPDATE shipments SET origin_hub_code = ' sha01', destination_city = '北京\u{3000}', \
           destination_province = '' WHERE tracking_number = '{tn}'; \
         UPDATE tracking_events SET hub_code = 'hbf7b404 ', city = ' 杭州' \
           WHERE shipment_id = (SELECT id FROM shipments WHERE tracking_number = '{tn}')"
    ))
    .expect("old rows");

    conn.transaction(|c| c.batch_execute(MIGRATION))
        .expect("the migration runs");

    // Every replica forgets a changed shipment once told (NOTIFY at commit): read it again
    // until this one has.
    let after = eventually(
        Duration::from_secs(5),
        "the migrated shipment read back",
        || {
            let (t, tn, before) = (&t, &tn, &before);
            async move { Some(read(t, tn).await).filter(|s| s["version"] != *before) }
        },
    )
    .await;
    assert_eq!(after["origin"]["hub_code"], "SHA01");
    assert_eq!(after["destination"]["city"], "北京");
    assert_eq!(after["destination"]["province"], Value::Null);
    assert_eq!(
        after["timeline"][0]["location"],
        json!({"hub_code": "HBF7B404", "city": "杭州", "province": null})
    );
    assert_eq!(impacted(&t, "hub_code=HBF7B404").await, vec![tn.clone()]);
    t.app.stop().await;
}
