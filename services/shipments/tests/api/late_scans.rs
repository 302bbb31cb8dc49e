//! Scans that arrive late (SPEC §5: older than the shipment's status, stored in the timeline but
//! moving nothing) still tell what others count (SPEC §8): `shipment.delivered` names the
//! earliest in-transit scan however late it came, and every accepted exception scan raises
//! `shipment.exception_raised` — without a status change or a proactive notification when it
//! moved nothing. Read from the service's outbox, which holds the events from the commit that
//! answered the request on.

use chrono::{DateTime, Duration, DurationRound, Utc};
use kuaidi_shared::auth::Role;
use kuaidi_shared::testing::{eventually, expect_json};
use kuaidi_shipments::domain::notification::template;
use serde_json::{json, Value};
use uuid::Uuid;

use crate::helpers::{notes, shipment_body, spawn_with_database, written, Shipments, TestApp};
use crate::webhook_edits::{receiver, register, WAIT};

/// The sequences of `events`.
fn sequences(events: &[Value]) -> Vec<i64> {
    events
        .iter()
        .filter_map(|e| e["sequence"].as_i64())
        .collect()
}

/// A whole second `minutes` before now (what the service stores, to the microsecond).
fn ago(minutes: i64) -> DateTime<Utc> {
    (Utc::now() - Duration::minutes(minutes))
        .duration_trunc(Duration::seconds(1))
        .expect("truncated")
}

fn time(v: &Value) -> DateTime<Utc> {
    v.as_str()
        .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
        .unwrap_or_else(|| panic!("a timestamp, got {v}"))
        .with_timezone(&Utc)
}

fn scan(tn: &str, id: &str, status: &str, substatus: Option<&str>, at: DateTime<Utc>) -> Value {
    json!({"tracking_number": tn, "event_id": id, "status": status, "substatus": substatus,
           "occurred_at": at.to_rfc3339(), "location": {"hub_code": "PEK02", "city": "北京"}})
}

/// Ingests `events` in one batch; every one must be accepted.
async fn ingest(t: &TestApp, events: Vec<Value>) {
    let op = t.env.token(Role::Operator, None);
    let body = json!({ "events": events });
    let answer = expect_json(
        t.post(&op, "/api/v1/tracking-events:batch", &body).await,
        200,
    )
    .await;
    let results = answer["results"].as_array().expect("results");
    assert!(
        results.iter().all(|r| r["result"] == "accepted"),
        "{answer}"
    );
}

async fn new_shipment(t: &TestApp, merchant: Uuid) -> String {
    let created = expect_json(t.create(&t.admin(), &shipment_body(merchant)).await, 201).await;
    created["tracking_number"].as_str().expect("tn").to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_delivery_names_the_earliest_in_transit_scan_however_late_it_came() {
    let (t, url) = spawn_with_database().await;
    let (a, b, c) = (
        new_shipment(&t, Uuid::now_v7()).await,
        new_shipment(&t, Uuid::now_v7()).await,
        new_shipment(&t, Uuid::now_v7()).await,
    );
    // The earliest scans' times, taken once: the assertions compare them to the second.
    let (a0, b0) = (ago(480), ago(360));
    ingest(&t, vec![scan(&a, "a1", "in_transit", None, ago(300))]).await;
    // Older than the status: it joins the timeline, moves nothing, and is the earliest.
    ingest(&t, vec![scan(&a, "a0", "in_transit", None, a0)]).await;
    ingest(&t, vec![scan(&b, "b1", "in_transit", None, ago(120))]).await;
    assert_eq!(
        sequences(&written(&url, "shipment.status_changed", &a)),
        [2],
        "the late scan moved no status"
    );

    // One batch: a's delivery, b's delivery with an older in-transit scan listed after it,
    // and c delivered without any in-transit scan.
    ingest(
        &t,
        vec![
            scan(&a, "a2", "delivered", Some("signed"), ago(60)),
            scan(&b, "b2", "delivered", Some("signed"), ago(60)),
            scan(&b, "b0", "in_transit", None, b0),
            scan(&c, "c1", "delivered", Some("signed"), ago(60)),
        ],
    )
    .await;

    for (tn, first) in [(&a, Some(a0)), (&b, Some(b0)), (&c, None)] {
        let delivered = written(&url, "shipment.delivered", tn);
        assert_eq!(delivered.len(), 1, "{delivered:?}");
        let told = &delivered[0]["first_in_transit_at"];
        let told = (!told.is_null()).then(|| time(told));
        assert_eq!(
            told.map(|x| x.timestamp()),
            first.map(|x| x.timestamp()),
            "{tn}: {delivered:?}"
        );
    }
    t.app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_exception_scan_is_raised_but_only_a_move_changes_status_or_notifies() {
    let (t, url) = crate::webhook_edits::spawn(3_600_000).await;
    let merchant = Uuid::now_v7();
    let (received, hook) = receiver();
    register(&t, &t.merchant(merchant), &hook).await;
    let (late, again) = (
        new_shipment(&t, merchant).await,
        new_shipment(&t, merchant).await,
    );
    ingest(
        &t,
        vec![
            scan(&late, "l1", "in_transit", None, ago(600)),
            scan(&late, "l2", "delivered", Some("signed"), ago(120)),
            scan(&again, "g1", "in_transit", None, ago(300)),
            scan(&again, "g2", "exception", Some("delayed"), ago(240)),
        ],
    )
    .await;
    // Damage reported after the delivery, of a time before it; the same delay scanned again.
    let damaged_at = ago(230);
    ingest(
        &t,
        vec![
            scan(&late, "l0", "exception", Some("damaged"), damaged_at),
            scan(&again, "g3", "exception", Some("delayed"), ago(180)),
        ],
    )
    .await;

    let s = expect_json(t.shipment(&t.admin(), &late).await, 200).await;
    assert_eq!(
        (&s["status"], &s["substatus"]),
        (&json!("delivered"), &json!("signed"))
    );
    let raised = written(&url, "shipment.exception_raised", &late);
    assert_eq!(sequences(&raised), [4], "{raised:?}");
    assert_eq!(raised[0]["substatus"], "damaged");
    assert_eq!(time(&raised[0]["occurred_at"]), damaged_at);
    assert_eq!(raised[0]["location"]["hub_code"], "PEK02");
    assert_eq!(
        sequences(&written(&url, "shipment.status_changed", &late)),
        [2, 3]
    );
    assert!(notes(&url, &late, template::EXCEPTION).is_empty());

    let raised = written(&url, "shipment.exception_raised", &again);
    assert_eq!(sequences(&raised), [3, 4], "{raised:?}");
    assert_eq!(
        sequences(&written(&url, "shipment.status_changed", &again)),
        [2, 3]
    );
    let notified = notes(&url, &again, template::EXCEPTION);
    assert_eq!(
        notified.len(),
        1,
        "one move, one notification: {notified:?}"
    );

    // The merchant's webhook is sent the late exception like any other, with its sequence.
    let sent = eventually(WAIT, "the late exception sent", || async {
        let got = received.got.lock().expect("lock").clone();
        got.into_iter()
            .filter_map(|(_, body)| serde_json::from_slice::<Value>(&body).ok())
            .find(|e| {
                e["type"] == "shipment.exception_raised" && e["data"]["tracking_number"] == *late
            })
    })
    .await;
    assert_eq!(sent["data"]["sequence"], 4);
    t.app.stop().await;
}

/// A delivery scan of `tn` naming `signer` when given.
fn delivery(tn: &str, id: &str, substatus: &str, signer: Option<&str>, at: DateTime<Utc>) -> Value {
    let mut event = scan(tn, id, "delivered", Some(substatus), at);
    if let Some(name) = signer {
        event["signed_by"] = json!(name);
    }
    event
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_newer_delivery_scan_sets_the_substatus_and_signer_but_not_the_delivery_time() {
    let (t, url) = spawn_with_database().await;
    let tn = new_shipment(&t, Uuid::now_v7()).await;
    let (first, second, third) = (ago(10), ago(8), ago(6));
    ingest(&t, vec![delivery(&tn, "d1", "signed", Some("张三"), first)]).await;
    let steps = [
        // Newer, naming no signer: the substatus follows it, the signer stays.
        (
            delivery(&tn, "d2", "cod_collected", None, second),
            ("cod_collected", "张三", second),
        ),
        // Older, arriving late: it changes nothing.
        (
            delivery(&tn, "d0", "left_at_door", Some("王五"), ago(12)),
            ("cod_collected", "张三", second),
        ),
        // Newer, naming a signer: both follow it.
        (
            delivery(&tn, "d3", "picked_up_by_customer", Some("赵六"), third),
            ("picked_up_by_customer", "赵六", third),
        ),
    ];
    for (scan, (substatus, signer, last)) in steps {
        ingest(&t, vec![scan.clone()]).await;
        let s = expect_json(t.shipment(&t.admin(), &tn).await, 200).await;
        assert_eq!(
            (&s["status"], &s["substatus"], &s["signed_by"]),
            (&json!("delivered"), &json!(substatus), &json!(signer)),
            "after {}",
            scan["event_id"]
        );
        assert_eq!(
            (time(&s["delivered_at"]), time(&s["last_event_at"])),
            (first, last),
            "after {}: delivered_at stays the first delivery's time",
            scan["event_id"]
        );
    }

    // Delivered once: the later scans raise no second delivery nor its notification.
    assert_eq!(written(&url, "shipment.delivered", &tn).len(), 1);
    let delivered_notes = notes(&url, &tn, template::DELIVERED);
    assert_eq!(delivered_notes.len(), 1, "{delivered_notes:?}");
    t.app.stop().await;
}
