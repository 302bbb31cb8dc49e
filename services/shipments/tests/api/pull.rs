//! Merchants pulling their shipments: incremental list and batch lookups, tenant-confined.

use kuaidi_shared::auth::Role;
use serde_json::{json, Value};
use uuid::Uuid;

use crate::helpers::{shipment_body, spawn, Shipments, TestApp};
use kuaidi_shared::testing::body_json;

async fn create_for(t: &TestApp, merchant: Uuid) -> String {
    let token = t.env.token(Role::Merchant, Some(merchant));
    let created = body_json(t.create(&token, &shipment_body(merchant)).await).await;
    created["tracking_number"].as_str().expect("tn").to_owned()
}

async fn list(t: &TestApp, token: &str, query: &str) -> reqwest::Response {
    t.env
        .http
        .get(t.url(&format!("/api/v1/shipments{query}")))
        .bearer_auth(token)
        .send()
        .await
        .expect("sent")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_merchant_pulls_only_its_own_shipments_page_by_page() {
    let t = spawn().await;
    let (a, b) = (Uuid::now_v7(), Uuid::now_v7());
    let mut mine = Vec::new();
    for _ in 0..3 {
        mine.push(create_for(&t, a).await);
    }
    let theirs = create_for(&t, b).await;
    let token_a = t.env.token(Role::Merchant, Some(a));

    let first = body_json(list(&t, &token_a, "?limit=2").await).await;
    assert_eq!(first["data"].as_array().map(Vec::len), Some(2));
    let cursor = first["next_cursor"].as_str().expect("a second page");
    let second = body_json(list(&t, &token_a, &format!("?limit=2&cursor={cursor}")).await).await;
    assert_eq!(second["data"].as_array().map(Vec::len), Some(1));
    assert!(second["next_cursor"].is_null());
    let seen: Vec<&str> = first["data"]
        .as_array()
        .into_iter()
        .chain(second["data"].as_array())
        .flatten()
        .filter_map(|s| s["tracking_number"].as_str())
        .collect();
    assert_eq!(
        seen,
        mine.iter().map(String::as_str).collect::<Vec<_>>(),
        "oldest change first, all of A's"
    );
    assert!(!seen.contains(&theirs.as_str()), "never B's");

    let future = body_json(list(&t, &token_a, "?updated_since=2099-01-01T00:00:00Z").await).await;
    assert_eq!(future["data"].as_array().map(Vec::len), Some(0));
    assert_eq!(list(&t, &token_a, "?status=teleported").await.status(), 422);
    assert_eq!(list(&t, &token_a, "?cursor=garbage").await.status(), 422);
    assert_eq!(
        list(&t, &token_a, "?recipient_phone=13812345678")
            .await
            .status(),
        422,
        "a staff filter"
    );

    let admin = t.admin();
    let by_phone =
        body_json(list(&t, &admin, "?recipient_phone=138-1234-5678&limit=200").await).await;
    assert_eq!(by_phone["data"].as_array().map(Vec::len), Some(4));
    t.app.stop().await;
}

/// Every row of a pull, following `next_cursor` to the end.
async fn pull_all(t: &TestApp, token: &str, query: &str) -> Vec<Value> {
    let mut rows = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let page_query = match &cursor {
            Some(c) => format!("{query}&cursor={c}"),
            None => query.to_owned(),
        };
        let page = body_json(list(t, token, &page_query).await).await;
        rows.extend(page["data"].as_array().cloned().unwrap_or_default());
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => return rows,
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_scan_moves_a_shipment_to_the_end_of_its_merchants_pull_once() {
    let t = spawn().await;
    let a = Uuid::now_v7();
    let (one, two, three) = (
        create_for(&t, a).await,
        create_for(&t, a).await,
        create_for(&t, a).await,
    );
    let token_a = t.env.token(Role::Merchant, Some(a));
    let scanned = t
        .post(
            &t.env.token(Role::Operator, None),
            &format!("/api/v1/shipments/{one}/events"),
            &json!({"event_id": "pull-1", "status": "in_transit",
                    "occurred_at": chrono::Utc::now().to_rfc3339()}),
        )
        .await;
    assert_eq!(scanned.status(), 201, "the scan was to be accepted");

    let rows = pull_all(&t, &token_a, "?limit=1").await;
    let rows = Value::from(rows);
    let order = kuaidi_shared::testing::strings(&rows, "tracking_number");
    assert_eq!(
        order,
        vec![two.as_str(), three.as_str(), one.as_str()],
        "oldest change first, the scanned one once, last"
    );
    assert_eq!(rows[2]["status"], "in_transit", "its state as of the scan");

    let since = rows[2]["updated_at"].as_str().expect("updated_at");
    let changed = body_json(
        list(
            &t,
            &token_a,
            &format!("?updated_since={}", since.replace('+', "%2B")),
        )
        .await,
    )
    .await;
    assert_eq!(
        kuaidi_shared::testing::strings(&changed["data"], "tracking_number"),
        vec![one.as_str()],
        "only what changed since"
    );
    let moving = body_json(list(&t, &token_a, "?status=in_transit").await).await;
    assert_eq!(
        kuaidi_shared::testing::strings(&moving["data"], "tracking_number"),
        vec![one.as_str()]
    );
    t.app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn batch_get_returns_own_shipments_in_order_and_reports_the_rest_as_not_found() {
    let t = spawn().await;
    let (a, b) = (Uuid::now_v7(), Uuid::now_v7());
    let (one, two) = (create_for(&t, a).await, create_for(&t, a).await);
    let other = create_for(&t, b).await;
    let token_a = t.env.token(Role::Merchant, Some(a));
    let post = |body: Value| {
        t.env
            .http
            .post(t.url("/api/v1/tracking:batch-get"))
            .bearer_auth(&token_a)
            .json(&body)
            .send()
    };

    let got: Value =
        post(json!({"tracking_numbers": [two, other, one.to_lowercase(), "NOPE12345678"]}))
            .await
            .expect("sent")
            .json()
            .await
            .expect("json");
    let found = kuaidi_shared::testing::strings(&got["data"], "tracking_number");
    assert_eq!(found, vec![two.as_str(), one.as_str()]);
    assert_eq!(
        got["not_found"],
        json!([other, "NOPE12345678"]),
        "B's shipment is simply not found"
    );

    let too_many: Vec<String> = (0..101).map(|i| format!("KD{i:09}CN")).collect();
    assert_eq!(
        post(json!({"tracking_numbers": too_many}))
            .await
            .expect("sent")
            .status(),
        422
    );
    assert_eq!(
        post(json!({"tracking_numbers": []}))
            .await
            .expect("sent")
            .status(),
        422
    );
    t.app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_end_customer_sees_the_parcels_sent_to_their_phone() {
    let t = spawn().await;
    let merchant = Uuid::now_v7();
    let tn = create_for(&t, merchant).await;
    let key = &t.env.key;
    let hash = {
        // The same keyed blind index the gateway puts in customer tokens.
        let settings = t.env.settings("unused-pii-probe");
        let cipher = kuaidi_shared::crypto::PiiCipher::new(&settings.pii).expect("cipher");
        cipher.blind_index("13812345678")
    };
    let token = kuaidi_shared::testing::customer_token(key, &hash);
    let mine: Value = list(&t, &token, "").await.json().await.expect("json");
    assert_eq!(mine["data"][0]["tracking_number"], tn.as_str());
    assert_eq!(t.shipment(&token, &tn).await.status(), 200);
    let stranger = kuaidi_shared::testing::token(key, Role::Customer, None);
    assert_eq!(
        t.shipment(&stranger, &tn).await.status(),
        404,
        "a customer token without this phone"
    );
    t.app.stop().await;
}

/// `(event_id, sequence)` of each entry of a shipment's `timeline`, in order.
fn timeline_of(shipment: &Value) -> Vec<(String, i64)> {
    shipment["timeline"]
        .as_array()
        .unwrap_or_else(|| panic!("a timeline: {shipment}"))
        .iter()
        .map(|e| {
            let id = e["event_id"].as_str().expect("event_id").to_owned();
            (id, e["sequence"].as_i64().expect("sequence"))
        })
        .collect()
}

/// The shipment `tn` of a list of shipments (`data` of a page or of a batch lookup).
fn named<'a>(data: &'a Value, tn: &str) -> &'a Value {
    data.as_array()
        .and_then(|all| all.iter().find(|s| s["tracking_number"] == tn))
        .unwrap_or_else(|| panic!("{tn} among {data}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn batch_get_and_the_pull_carry_each_shipments_timeline_oldest_first() {
    let t = spawn().await;
    let a = Uuid::now_v7();
    let mut created = Vec::new();
    for _ in 0..3 {
        created.push(create_for(&t, a).await);
    }
    let [one, two, quiet] = <[String; 3]>::try_from(created).expect("three shipments");
    let (op, token_a) = (
        t.env.token(Role::Operator, None),
        t.env.token(Role::Merchant, Some(a)),
    );
    let ago = |minutes: i64| (chrono::Utc::now() - chrono::Duration::minutes(minutes)).to_rfc3339();
    // `one`'s older scan arrives late: the timeline is ordered by time, not by sequence.
    for scans in [
        json!([
            {"tracking_number": one, "event_id": "one-b", "status": "out_for_delivery", "occurred_at": ago(10)},
            {"tracking_number": two, "event_id": "two-a", "status": "in_transit", "occurred_at": ago(30)},
        ]),
        json!([{"tracking_number": one, "event_id": "one-a", "status": "in_transit",
                "occurred_at": ago(60)}]),
    ] {
        let body = json!({ "events": scans });
        let answer = body_json(t.post(&op, "/api/v1/tracking-events:batch", &body).await).await;
        assert!(
            answer["results"]
                .as_array()
                .is_some_and(|r| r.iter().all(|r| r["result"] == "accepted")),
            "{answer}"
        );
    }
    // Read one on its own first: its cached view must not stand in for the others' reads.
    let single = body_json(t.shipment(&token_a, &one).await).await;
    let expected_one = vec![("one-a".to_owned(), 3), ("one-b".to_owned(), 2)];
    assert_eq!(timeline_of(&single), expected_one, "GET shows the timeline");

    let got = body_json(
        t.post(
            &token_a,
            "/api/v1/tracking:batch-get",
            &json!({"tracking_numbers": [one, two, quiet]}),
        )
        .await,
    )
    .await;
    let pulled = Value::from(pull_all(&t, &token_a, "?limit=2").await);
    for (what, data) in [("batch-get", &got["data"]), ("pull", &pulled)] {
        assert_eq!(
            timeline_of(named(data, &one)),
            expected_one,
            "{what}: every accepted event, oldest first, with its sequence"
        );
        assert_eq!(named(data, &one)["timeline"], single["timeline"], "{what}");
        assert_eq!(
            timeline_of(named(data, &two)),
            [("two-a".to_owned(), 2)],
            "{what}"
        );
        assert_eq!(timeline_of(named(data, &quiet)), [], "{what}: no scan yet");
    }

    // A new scan shows at once in both reads.
    let delivered = json!({"event_id": "one-c", "status": "delivered", "substatus": "signed",
                           "occurred_at": ago(1)});
    let scanned = t
        .post(&op, &format!("/api/v1/shipments/{one}/events"), &delivered)
        .await;
    assert_eq!(scanned.status(), 201);
    let got = body_json(
        t.post(
            &token_a,
            "/api/v1/tracking:batch-get",
            &json!({"tracking_numbers": [one]}),
        )
        .await,
    )
    .await;
    let pulled = Value::from(pull_all(&t, &token_a, "?status=delivered").await);
    for (what, data) in [("batch-get", &got["data"]), ("pull", &pulled)] {
        let ids: Vec<String> = timeline_of(named(data, &one))
            .into_iter()
            .map(|(id, _)| id)
            .collect();
        assert_eq!(ids, ["one-a", "one-b", "one-c"], "{what}");
    }
    t.app.stop().await;
}
