//! Ingesting carrier scans: idempotence, out-of-order arrival, terminal deliveries, batches,
//! roles, the events they emit, ETAs and the expiry sweep.

use chrono::{DateTime, Duration, Utc};
use diesel::Connection;
use kuaidi_shared::auth::Role;
use kuaidi_shared::clock::Clock;
use kuaidi_shared::events::CloudEvent;
use kuaidi_shared::testing::{body_json, EventTap};
use kuaidi_shipments::domain::tracking::ExpiryRules;
use serde_json::{json, Value};
use uuid::Uuid;

use crate::helpers::{shipment_body, spawn, spawn_with_database, Shipments, TestApp};

fn operator(t: &TestApp) -> String {
    t.env.token(Role::Operator, None)
}

async fn new_shipment(t: &TestApp, body: &Value) -> String {
    let created: Value = t.create(&t.admin(), body).await.json().await.expect("json");
    created["tracking_number"]
        .as_str()
        .unwrap_or_else(|| panic!("shipment created: {created}"))
        .to_owned()
}

fn scan(event_id: &str, status: &str, at: DateTime<Utc>) -> Value {
    json!({"event_id": event_id, "status": status, "occurred_at": at.to_rfc3339(),
           "location": {"hub_code": "PEK02", "city": "北京"}})
}

fn with_substatus(mut event: Value, substatus: &str) -> Value {
    event["substatus"] = json!(substatus);
    event
}

fn for_shipment(mut event: Value, tn: &str) -> Value {
    event["tracking_number"] = json!(tn);
    event
}

async fn post_event(t: &TestApp, token: &str, tn: &str, event: &Value) -> reqwest::Response {
    t.post(token, &format!("/api/v1/shipments/{tn}/events"), event)
        .await
}

async fn post_batch(t: &TestApp, token: &str, events: Vec<Value>) -> reqwest::Response {
    let body = json!({ "events": events });
    t.post(token, "/api/v1/tracking-events:batch", &body).await
}

async fn shipment(t: &TestApp, tn: &str) -> Value {
    t.shipment(&t.admin(), tn).await.json().await.expect("json")
}

fn time(v: &Value) -> DateTime<Utc> {
    v.as_str()
        .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
        .unwrap_or_else(|| panic!("a timestamp, got {v}"))
        .with_timezone(&Utc)
}

/// Events from the tap until `done` holds for them (10 s deadline).
async fn events_until(tap: &EventTap, done: impl Fn(&[CloudEvent]) -> bool) -> Vec<CloudEvent> {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let mut seen = Vec::new();
    while !done(&seen) {
        assert!(
            std::time::Instant::now() < deadline,
            "expected events not published; got {:?}",
            seen.iter()
                .map(|e: &CloudEvent| &e.type_)
                .collect::<Vec<_>>()
        );
        match tap.try_next().await {
            Some(e) => seen.push(e),
            None => tokio::time::sleep(std::time::Duration::from_millis(20)).await,
        }
    }
    seen
}

fn of_type<'a>(events: &'a [CloudEvent], type_: &str, tn: &str) -> Vec<&'a CloudEvent> {
    events
        .iter()
        .filter(|e| e.type_ == type_ && e.data["tracking_number"] == tn)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_repeated_event_id_is_a_duplicate_with_no_second_effect() {
    let t = spawn().await;
    let tn = new_shipment(&t, &shipment_body(Uuid::now_v7())).await;
    let now = Utc::now();

    let first = post_event(&t, &operator(&t), &tn, &scan("e1", "in_transit", now)).await;
    assert_eq!(first.status(), 201);
    let first: Value = first.json().await.expect("json");
    assert_eq!(first["result"], "accepted");
    assert_eq!(first["sequence"], 2, "creation was sequence 1");
    let before = shipment(&t, &tn).await;

    let again = post_event(&t, &operator(&t), &tn, &scan("e1", "out_for_delivery", now)).await;

    assert_eq!(again.status(), 200);
    let again: Value = again.json().await.expect("json");
    assert_eq!(again["result"], "duplicate");
    let after = shipment(&t, &tn).await;
    assert_eq!(
        after["status"], "in_transit",
        "a duplicate must not move the status"
    );
    assert_eq!(after["timeline"].as_array().map(Vec::len), Some(1));
    assert_eq!(
        after["version"], before["version"],
        "a duplicate changes nothing"
    );
    let batch = body_json(
        post_batch(
            &t,
            &operator(&t),
            vec![for_shipment(scan("e1", "delivered", now), &tn)],
        )
        .await,
    )
    .await;
    assert_eq!(batch["results"][0]["result"], "duplicate");
    t.app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_older_late_event_joins_the_timeline_without_moving_the_status() {
    let t = spawn().await;
    let tn = new_shipment(&t, &shipment_body(Uuid::now_v7())).await;
    let now = Utc::now();
    let newer = scan("late-2", "out_for_delivery", now - Duration::minutes(10));
    let older = scan("late-1", "in_transit", now - Duration::minutes(60));

    assert_eq!(
        post_event(&t, &operator(&t), &tn, &newer).await.status(),
        201
    );
    assert_eq!(
        post_event(&t, &operator(&t), &tn, &older).await.status(),
        201
    );

    let s = shipment(&t, &tn).await;
    assert_eq!(
        s["status"], "out_for_delivery",
        "the latest scan by time wins"
    );
    let timeline = s["timeline"].as_array().expect("timeline");
    let ids: Vec<(&str, i64)> = timeline
        .iter()
        .map(|e| {
            (
                e["event_id"].as_str().unwrap_or(""),
                e["sequence"].as_i64().unwrap_or(0),
            )
        })
        .collect();
    assert_eq!(
        ids,
        [("late-1", 3), ("late-2", 2)],
        "oldest first by occurred_at, each with its arrival sequence"
    );
    assert_eq!(s["sequence"], 3);
    t.app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn delivered_is_terminal_until_a_later_return_to_sender() {
    let t = spawn().await;
    let tap = t.env.tap().await;
    let tn = new_shipment(&t, &shipment_body(Uuid::now_v7())).await;
    let now = Utc::now();
    let op = operator(&t);
    let delivered = with_substatus(
        scan("d", "delivered", now - Duration::minutes(30)),
        "signed",
    );
    assert_eq!(post_event(&t, &op, &tn, &delivered).await.status(), 201);

    post_event(
        &t,
        &op,
        &tn,
        &scan("t", "in_transit", now - Duration::minutes(20)),
    )
    .await;
    let lost = with_substatus(scan("l", "exception", now - Duration::minutes(15)), "lost");
    post_event(&t, &op, &tn, &lost).await;
    let s = shipment(&t, &tn).await;
    assert_eq!(s["status"], "delivered", "delivered stays delivered");
    assert_eq!(s["substatus"], "signed");

    let back = with_substatus(
        scan("r", "exception", now - Duration::minutes(5)),
        "returned_to_sender",
    );
    assert_eq!(post_event(&t, &op, &tn, &back).await.status(), 201);

    let s = shipment(&t, &tn).await;
    assert_eq!(s["status"], "exception");
    assert_eq!(s["substatus"], "returned_to_sender");
    assert_eq!(s["timeline"].as_array().map(Vec::len), Some(4));
    // The lost scan after the delivery moved nothing but is raised all the same.
    let events = events_until(&tap, |e| {
        of_type(e, "shipment.exception_raised", &tn).len() == 2
    })
    .await;
    let mut raised: Vec<(Value, Value)> = of_type(&events, "shipment.exception_raised", &tn)
        .iter()
        .map(|e| (e.data["sequence"].clone(), e.data["substatus"].clone()))
        .collect();
    raised.sort_by_key(|(sequence, _)| sequence.as_i64());
    assert_eq!(
        raised,
        [
            (json!(4), json!("lost")),
            (json!(5), json!("returned_to_sender"))
        ]
    );
    t.app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_with_bad_events_answers_each_in_order_and_applies_the_good_ones() {
    let t = spawn().await;
    let a = new_shipment(&t, &shipment_body(Uuid::now_v7())).await;
    let b = new_shipment(&t, &shipment_body(Uuid::now_v7())).await;
    let now = Utc::now();
    let mut missing_time = for_shipment(scan("b5", "in_transit", now), &b);
    missing_time
        .as_object_mut()
        .map(|o| o.remove("occurred_at"));
    let events = vec![
        for_shipment(scan("a1", "in_transit", now - Duration::minutes(5)), &a),
        for_shipment(scan("x1", "in_transit", now), "SF0000000001"),
        for_shipment(scan("b1", "teleported", now), &b),
        for_shipment(with_substatus(scan("b2", "delivered", now), "lost"), &b),
        for_shipment(scan("b3", "in_transit", now + Duration::minutes(10)), &b),
        missing_time,
        for_shipment(
            scan("b4", "out_for_delivery", now - Duration::minutes(1)),
            &b,
        ),
        for_shipment(scan("a1", "delivered", now), &a),
    ];

    let resp = post_batch(&t, &operator(&t), events).await;

    assert_eq!(resp.status(), 200);
    let body: Value = resp.json().await.expect("json");
    let results = body["results"].as_array().expect("results");
    let got: Vec<(&str, &str)> = results
        .iter()
        .map(|r| {
            (
                r["event_id"].as_str().unwrap_or("?"),
                r["result"].as_str().unwrap_or("?"),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            ("a1", "accepted"),
            ("x1", "rejected"),
            ("b1", "rejected"),
            ("b2", "rejected"),
            ("b3", "rejected"),
            ("b5", "rejected"),
            ("b4", "accepted"),
            ("a1", "duplicate"),
        ],
        "one result per event, in input order"
    );
    assert_eq!(results[1]["reason"], "unknown tracking number");
    for (i, field) in [
        (2, "status"),
        (3, "substatus"),
        (4, "occurred_at"),
        (5, "occurred_at"),
    ] {
        let reason = results[i]["reason"].as_str().unwrap_or("");
        assert!(
            reason.contains(field),
            "event {i} rejected for {field}, got {reason:?}"
        );
    }
    assert_eq!(shipment(&t, &a).await["status"], "in_transit");
    assert_eq!(shipment(&t, &b).await["status"], "out_for_delivery");
    t.app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_with_unstorable_text_in_one_event_rejects_that_event_alone() {
    let t = spawn().await;
    let tn = new_shipment(&t, &shipment_body(Uuid::now_v7())).await;
    let now = Utc::now();
    let mut nul = for_shipment(scan("n1", "in_transit", now), &tn);
    nul["description"] = json!("NUL-HERE");
    let events = vec![
        for_shipment(scan("g1", "in_transit", now - Duration::minutes(5)), &tn),
        nul,
        for_shipment(scan("LONE-SURROGATE", "out_for_delivery", now), &tn),
    ];
    // serde_json writes neither: put the raw escapes in.
    let raw = json!({ "events": events })
        .to_string()
        .replace("NUL-HERE", r"left\u0000right")
        .replace("LONE-SURROGATE", r"scan\ud800");

    let resp = t
        .post_raw(&operator(&t), "/api/v1/tracking-events:batch", &raw)
        .await;

    assert_eq!(resp.status(), 200, "one bad event never rejects the batch");
    let body: Value = resp.json().await.expect("json");
    let got: Vec<(&str, &str, &str)> = body["results"]
        .as_array()
        .expect("results")
        .iter()
        .map(|r| {
            let text = |k: &str| r[k].as_str().unwrap_or("-");
            (text("event_id"), text("result"), text("reason"))
        })
        .collect();
    let unstorable = "must not contain NUL or unpaired surrogate characters";
    assert_eq!(
        got,
        [
            ("g1", "accepted", "-"),
            (
                "n1",
                "rejected",
                &*format!("events[1].description {unstorable}")
            ),
            (
                "scan\u{FFFD}",
                "rejected",
                &*format!("events[2].event_id {unstorable}")
            ),
        ],
        "one result per event, in input order; an unstorable event_id never echoed as NUL"
    );
    let stored = shipment(&t, &tn).await;
    let ids: Vec<&str> = stored["timeline"]
        .as_array()
        .expect("timeline")
        .iter()
        .filter_map(|e| e["event_id"].as_str())
        .collect();
    assert_eq!(ids, ["g1"], "only the good event is stored");
    assert_eq!(stored["status"], "in_transit");
    t.app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn batches_over_1000_events_or_empty_are_refused_with_422() {
    let t = spawn().await;
    let tn = new_shipment(&t, &shipment_body(Uuid::now_v7())).await;
    let now = Utc::now();
    let events: Vec<Value> = (0..1001)
        .map(|i| for_shipment(scan(&format!("e{i}"), "in_transit", now), &tn))
        .collect();

    let too_many = post_batch(&t, &operator(&t), events).await;
    let empty = post_batch(&t, &operator(&t), Vec::new()).await;

    assert_eq!(too_many.status(), 422);
    assert_eq!(
        too_many.headers()["content-type"],
        "application/problem+json"
    );
    assert_eq!(empty.status(), 422);
    assert_eq!(
        shipment(&t, &tn).await["status"],
        "pending",
        "nothing of a refused batch applies"
    );
    t.app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn operators_may_ingest_but_merchants_and_agents_get_403() {
    let t = spawn().await;
    let merchant_id = Uuid::now_v7();
    let tn = new_shipment(&t, &shipment_body(merchant_id)).await;
    let event = scan("e1", "in_transit", Utc::now());

    let merchant = t.env.token(Role::Merchant, Some(merchant_id));
    let agent = t.env.token(Role::Agent, None);
    assert_eq!(post_event(&t, &merchant, &tn, &event).await.status(), 403);
    assert_eq!(post_event(&t, &agent, &tn, &event).await.status(), 403);
    let batch = vec![for_shipment(event.clone(), &tn)];
    assert_eq!(post_batch(&t, &merchant, batch.clone()).await.status(), 403);
    assert_eq!(
        post_event(&t, &operator(&t), &tn, &event).await.status(),
        201
    );
    assert_eq!(
        post_event(
            &t,
            &operator(&t),
            "SF0000000001",
            &scan("e2", "in_transit", Utc::now())
        )
        .await
        .status(),
        404,
        "an unknown tracking number is a 404"
    );
    t.app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn delivery_emits_status_changed_and_delivered_with_on_time_and_a_notification() {
    let t = spawn().await;
    let tap = t.env.tap().await;
    let now = Utc::now();
    let on_time = new_shipment(&t, &shipment_body(Uuid::now_v7())).await;
    let mut late_body = shipment_body(Uuid::now_v7());
    late_body["promised_at"] = json!((now + Duration::minutes(2)).to_rfc3339());
    let late = new_shipment(&t, &late_body).await;

    let resp = post_batch(
        &t,
        &operator(&t),
        vec![
            for_shipment(
                with_substatus(scan("d1", "delivered", now), "signed"),
                &on_time,
            ),
            for_shipment(scan("d2", "delivered", now + Duration::minutes(4)), &late),
        ],
    )
    .await;
    assert_eq!(resp.status(), 200);

    let events = events_until(&tap, |e| {
        of_type(e, "shipment.delivered", &on_time).len() == 1
            && of_type(e, "shipment.delivered", &late).len() == 1
            && of_type(e, "notification.requested", &late).len() == 1
            // Relays publish concurrently: wait for every event the test reads, in any order.
            && !of_type(e, "shipment.status_changed", &on_time).is_empty()
    })
    .await;
    let delivered = of_type(&events, "shipment.delivered", &on_time)[0];
    assert_eq!(delivered.data["on_time"], true);
    assert_eq!(delivered.data["sequence"], 2);
    assert_eq!(delivered.data["substatus"], "signed");
    assert!(
        delivered.data["merchant_id"].is_string(),
        "consumers get the merchant"
    );
    assert_eq!(
        of_type(&events, "shipment.delivered", &late)[0].data["on_time"],
        false
    );
    let changed = of_type(&events, "shipment.status_changed", &on_time);
    assert_eq!(changed.len(), 1);
    assert_eq!(changed[0].data["from"], "pending");
    assert_eq!(changed[0].data["to"], "delivered");
    assert_eq!(changed[0].data["location"]["hub_code"], "PEK02");
    let note = of_type(&events, "notification.requested", &late)[0];
    assert_eq!(note.data["template_id"], "shipment.delivered");
    assert_eq!(note.data["channel"], "sms");
    assert_eq!(note.data["variables"]["tracking_number"], late.as_str());
    let eta = note.data["variables"]["eta"].as_str().expect("eta");
    assert!(
        eta.ends_with('Z'),
        "RFC 3339 UTC as every other time: {eta}"
    );
    t.app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_promise_already_past_is_accepted_and_its_delivery_is_late() {
    let t = spawn().await;
    let tap = t.env.tap().await;
    let now = Utc::now();
    let mut body = shipment_body(Uuid::now_v7());
    body["promised_at"] = json!((now - Duration::hours(1)).to_rfc3339());
    let resp = t.create(&t.admin(), &body).await;
    assert_eq!(resp.status(), 201, "a past promised_at is accepted");
    let tn = body_json(resp).await["tracking_number"]
        .as_str()
        .expect("a tracking number")
        .to_owned();

    let resp = post_event(&t, &operator(&t), &tn, &scan("d1", "delivered", now)).await;

    assert_eq!(resp.status(), 201);
    let events = events_until(&tap, |e| of_type(e, "shipment.delivered", &tn).len() == 1).await;
    assert_eq!(
        of_type(&events, "shipment.delivered", &tn)[0].data["on_time"],
        false,
        "delivered after a promise made for an hour ago is late"
    );
    t.app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_timeline_shows_the_courier_and_only_the_location_parts_sent() {
    let t = spawn().await;
    let tn = new_shipment(&t, &shipment_body(Uuid::now_v7())).await;
    let now = Utc::now();
    let mut hub_only = scan("e1", "in_transit", now - Duration::minutes(1));
    hub_only["location"] = json!({"hub_code": "SHA01"});
    hub_only["courier_id"] = json!("C1024");
    let mut nowhere = scan("e2", "out_for_delivery", now);
    nowhere.as_object_mut().map(|o| o.remove("location"));

    for event in [&hub_only, &nowhere] {
        assert_eq!(
            post_event(&t, &operator(&t), &tn, event).await.status(),
            201
        );
    }

    let s = shipment(&t, &tn).await;
    let first = &s["timeline"][0];
    assert_eq!(first["courier_id"], "C1024", "the courier is kept: {first}");
    assert_eq!(
        first["location"],
        json!({"hub_code": "SHA01", "city": null, "province": null}),
        "a part not sent is null, never an empty string"
    );
    let second = &s["timeline"][1];
    assert_eq!(second["location"], Value::Null, "no part sent, no location");
    assert_eq!(second["courier_id"], Value::Null);
    t.app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_accepted_scan_names_its_shipment_and_a_delivery_its_signer() {
    let t = spawn().await;
    let tn = new_shipment(&t, &shipment_body(Uuid::now_v7())).await;
    let now = Utc::now();
    let mut signed_in_transit = scan("e0", "in_transit", now - Duration::minutes(2));
    signed_in_transit["signed_by"] = json!("张三");
    let refused = post_event(&t, &operator(&t), &tn, &signed_in_transit).await;
    assert_eq!(refused.status(), 422, "only a delivery has a signer");

    let first = post_event(
        &t,
        &operator(&t),
        &tn,
        &scan("e1", "in_transit", now - Duration::minutes(1)),
    )
    .await;
    assert_eq!(first.status(), 201);
    assert_eq!(
        first.headers()["location"],
        format!("/api/v1/shipments/{tn}").as_str(),
        "Location names the shipment whose timeline holds the scan"
    );
    let mut delivered = with_substatus(scan("e2", "delivered", now), "signed");
    delivered["signed_by"] = json!("张三丰");
    assert_eq!(
        post_event(&t, &operator(&t), &tn, &delivered)
            .await
            .status(),
        201
    );

    let s = shipment(&t, &tn).await;
    assert_eq!(s["status"], "delivered");
    assert_eq!(s["signed_by"], "张三丰", "the delivery's signer is kept");
    let masked: Value = t
        .shipment(&t.env.token(Role::Agent, None), &tn)
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(masked["signed_by"], "张**", "masked without the PII right");
    let other = new_shipment(&t, &shipment_body(Uuid::now_v7())).await;
    let mut batched = for_shipment(scan("b1", "delivered", now), &other);
    batched["signed_by"] = json!("王五");
    let body = body_json(post_batch(&t, &operator(&t), vec![batched]).await).await;
    assert_eq!(body["results"][0]["result"], "accepted", "{body}");
    assert_eq!(shipment(&t, &other).await["signed_by"], "王五");
    t.app.stop().await;
}

/// Creates `n` shipments and delivers the i-th `10 * (i + 1)` seconds after the service's now.
async fn deliver_on_the_lane(t: &TestApp, n: usize) {
    let now = t.clock.now();
    let mut events = Vec::new();
    for i in 0..n {
        let tn = new_shipment(t, &shipment_body(Uuid::now_v7())).await;
        let at = now + Duration::seconds(10 * (i as i64 + 1));
        events.push(for_shipment(scan(&format!("d-{tn}"), "delivered", at), &tn));
    }
    let body = body_json(post_batch(t, &operator(t), events).await).await;
    assert!(
        body["results"]
            .as_array()
            .is_some_and(|r| r.iter().all(|r| r["result"] == "accepted")),
        "deliveries accepted: {body}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn eta_uses_the_lanes_p80_once_it_has_20_deliveries() {
    // On a manual clock: every shipment is created at the same instant, so the transit times
    // are exactly what the scans say, however long the creations take.
    let t = TestApp::spawn_with_clock(
        "shipments",
        kuaidi_shipments::startup::MIGRATIONS,
        Clock::manual(Utc::now()),
        kuaidi_shipments::build,
    )
    .await;
    let tap = t.env.tap().await;
    let early = new_shipment(&t, &shipment_body(Uuid::now_v7())).await;
    let early_eta = time(&shipment(&t, &early).await["estimated_delivery_at"]);

    // Transit times 10 s, 20 s, ... 200 s: the p80 is 162 s, the median 105 s, the maximum
    // 200 s.
    deliver_on_the_lane(&t, 20).await;
    let created = t.created().await;
    let transit = time(&created["estimated_delivery_at"]) - time(&created["created_at"]);
    assert_eq!(transit, Duration::seconds(162), "ETA from the lane's p80");

    post_event(
        &t,
        &operator(&t),
        &early,
        &scan("e1", "in_transit", t.clock.now()),
    )
    .await;
    let events = events_until(&tap, |e| {
        !of_type(e, "shipment.eta_changed", &early).is_empty()
    })
    .await;
    let changed = of_type(&events, "shipment.eta_changed", &early)[0];
    assert_eq!(time(&changed.data["old_estimated_delivery_at"]), early_eta);
    let new_eta = time(&changed.data["new_estimated_delivery_at"]);
    assert!(
        new_eta < early_eta,
        "the lane is faster than the 24 h default"
    );
    assert_eq!(
        time(&shipment(&t, &early).await["estimated_delivery_at"]),
        new_eta
    );
    t.app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn eta_falls_back_to_the_service_level_with_fewer_than_20_deliveries() {
    let t = spawn().await;
    deliver_on_the_lane(&t, 19).await;

    let created = t.created().await;

    let transit = time(&created["estimated_delivery_at"]) - time(&created["created_at"]);
    assert_eq!(transit, Duration::hours(24), "express default transit");
    t.app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sweep_expires_live_shipments_idle_for_30_days() {
    let (t, url) = spawn_with_database().await;
    let tap = t.env.tap().await;
    let idle = new_shipment(&t, &shipment_body(Uuid::now_v7())).await;
    let delivered = new_shipment(&t, &shipment_body(Uuid::now_v7())).await;
    post_event(
        &t,
        &operator(&t),
        &delivered,
        &scan("d", "delivered", Utc::now()),
    )
    .await;
    let mut conn = diesel::PgConnection::establish(&url).expect("database");

    let early = kuaidi_shipments::workflow::expiry::sweep_expired(
        &mut conn,
        Utc::now() + Duration::days(29),
        &ExpiryRules::DEFAULT,
    )
    .expect("sweep");
    let due = kuaidi_shipments::workflow::expiry::sweep_expired(
        &mut conn,
        Utc::now() + Duration::days(31),
        &ExpiryRules::DEFAULT,
    )
    .expect("sweep");
    let again = kuaidi_shipments::workflow::expiry::sweep_expired(
        &mut conn,
        Utc::now() + Duration::days(31),
        &ExpiryRules::DEFAULT,
    )
    .expect("sweep");

    assert_eq!(
        (early.len(), due.len(), again.len()),
        (0, 1, 0),
        "only the idle live shipment expires, once"
    );
    let s = shipment(&t, &idle).await;
    assert_eq!(s["status"], "expired");
    assert_eq!(s["sequence"], 2);
    assert_eq!(shipment(&t, &delivered).await["status"], "delivered");
    // The relay publishes rows committed outside a request on its next poll.
    let events = events_until(&tap, |e| {
        !of_type(e, "shipment.status_changed", &idle).is_empty()
    })
    .await;
    let changed = of_type(&events, "shipment.status_changed", &idle)[0];
    assert_eq!(changed.data["from"], "pending");
    assert_eq!(changed.data["to"], "expired");
    t.app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_1000_event_batch_is_ingested_in_one_request() {
    let t = spawn().await;
    let mut tns = Vec::new();
    for _ in 0..200 {
        tns.push(new_shipment(&t, &shipment_body(Uuid::now_v7())).await);
    }
    let statuses = [
        "info_received",
        "in_transit",
        "out_for_delivery",
        "attempt_fail",
        "in_transit",
    ];
    let base = Utc::now() - Duration::hours(1);
    for round in 0..3i64 {
        let events: Vec<Value> = tns
            .iter()
            .flat_map(|tn| {
                statuses.iter().enumerate().map(move |(j, status)| {
                    let at = base + Duration::seconds(round * 10 + j as i64);
                    for_shipment(scan(&format!("{tn}-{round}-{j}"), status, at), tn)
                })
            })
            .collect();
        let started = std::time::Instant::now();
        let resp = post_batch(&t, &operator(&t), events).await;
        let elapsed = started.elapsed();
        assert_eq!(resp.status(), 200);
        let body: Value = resp.json().await.expect("json");
        let accepted = body["results"].as_array().map_or(0, |r| {
            r.iter().filter(|r| r["result"] == "accepted").count()
        });
        assert_eq!(accepted, 1000, "every event accepted");
        println!(
            "batch {round}: 1000 events in {elapsed:?} = {:.0} events/s",
            1000.0 / elapsed.as_secs_f64()
        );
    }
    let s = shipment(&t, &tns[0]).await;
    assert_eq!(s["sequence"], 16, "15 events after creation");
    assert_eq!(s["timeline"].as_array().map(Vec::len), Some(15));
    t.app.stop().await;
}

/// A shipment's scans are numbered under its row lock, so batches arriving at once for the same
/// shipments number them 2, 3, 4... with no repeat and no gap (no unique index checks it).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_batches_number_a_shipments_scans_without_a_repeat_or_a_gap() {
    let t = spawn().await;
    let mut tns = Vec::new();
    for _ in 0..5 {
        tns.push(new_shipment(&t, &shipment_body(Uuid::now_v7())).await);
    }
    let base = Utc::now() - Duration::hours(1);
    let token = operator(&t);
    let batches = (0..8i64).map(|b| {
        let events: Vec<Value> = tns
            .iter()
            .flat_map(|tn| {
                (0..3i64).map(move |j| {
                    let at = base + Duration::seconds(b * 3 + j);
                    for_shipment(scan(&format!("{tn}-{b}-{j}"), "in_transit", at), tn)
                })
            })
            .collect();
        post_batch(&t, &token, events)
    });
    for resp in futures_util::future::join_all(batches).await {
        assert_eq!(resp.status(), 200);
        let body: Value = resp.json().await.expect("json");
        let results = body["results"].as_array().expect("results");
        assert!(results.iter().all(|r| r["result"] == "accepted"), "{body}");
    }
    for tn in &tns {
        let s = shipment(&t, tn).await;
        let mut seen: Vec<i64> = s["timeline"]
            .as_array()
            .expect("timeline")
            .iter()
            .map(|e| e["sequence"].as_i64().expect("sequence"))
            .collect();
        seen.sort_unstable();
        assert_eq!(seen, (2..=25).collect::<Vec<i64>>(), "{tn}");
        assert_eq!(s["sequence"], 25);
    }
    t.app.stop().await;
}
