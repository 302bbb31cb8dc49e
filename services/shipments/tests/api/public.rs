//! Public tracking: no token, no personal data.

use chrono::Utc;
use kuaidi_shared::app::RunningApp;
use kuaidi_shared::auth::Role;
use kuaidi_shared::testing::{body_json, eventually, expect_json, migrated_database, TestEnv};
use serde_json::{json, Value};
use std::time::Duration;
use uuid::Uuid;

use crate::helpers::{shipment_body, spawn, Shipments, TestApp};

async fn public(t: &TestApp, path: &str) -> reqwest::Response {
    t.env.http.get(t.url(path)).send().await.expect("sent")
}

/// Creates a shipment; its tracking number.
async fn new_shipment(t: &TestApp) -> String {
    let created = t.created().await;
    created["tracking_number"].as_str().expect("tn").to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn anyone_can_track_a_parcel_without_seeing_who_it_is_for() {
    let t = spawn().await;
    let tn = &new_shipment(&t).await;

    let resp = public(&t, &format!("/api/v1/tracking/{}", tn.to_lowercase())).await;
    assert_eq!(resp.status(), 200, "no token needed");
    let etag = resp.headers()["etag"].to_str().expect("etag").to_owned();
    let text = resp.text().await.expect("body");
    for secret in [
        "13812345678",
        "张三丰",
        "建国路",
        "recipient\"",
        "merchant_id",
    ] {
        assert!(
            !text.contains(secret),
            "public tracking leaked {secret}: {text}"
        );
    }
    let body: Value = serde_json::from_str(&text).expect("json");
    assert_eq!(body["status"], "pending");
    assert_eq!(body["destination_city"], "北京");
    assert!(body["timeline"].as_array().is_some_and(Vec::is_empty));
    assert!(body.get("recipient_name").is_none());

    let again = t
        .env
        .http
        .get(t.url(&format!("/api/v1/tracking/{tn}")))
        .header("if-none-match", &etag)
        .send()
        .await
        .expect("sent");
    assert_eq!(again.status(), 304, "pollers get 304 while nothing changed");

    let named =
        body_json(public(&t, &format!("/api/v1/tracking/{tn}?phone_last4=5678")).await).await;
    assert_eq!(
        named["recipient_name"], "张**",
        "the right last four digits add the masked name"
    );
    let wrong =
        body_json(public(&t, &format!("/api/v1/tracking/{tn}?phone_last4=0000")).await).await;
    assert!(wrong.get("recipient_name").is_none());
    assert_eq!(
        public(&t, &format!("/api/v1/tracking/{tn}?phone_last4=12"))
            .await
            .status(),
        422
    );
    assert_eq!(
        public(&t, "/api/v1/tracking/KD000000000CN").await.status(),
        404
    );
    t.app.stop().await;
}

/// Pollers of a hot number get the answer kept in memory as it was encoded — the same bytes and
/// `ETag` every time, `304` for that tag however `If-None-Match` names it — until a scan is
/// accepted: then a new answer and tag, and the old tag no longer matches.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hot_number_is_answered_with_the_same_bytes_and_etag_until_a_scan_is_accepted() {
    let t = spawn().await;
    let tn = new_shipment(&t).await;
    let path = format!("/api/v1/tracking/{tn}");
    let answer = |resp: reqwest::Response| async move {
        assert_eq!(resp.status(), 200);
        assert_eq!(resp.headers()["cache-control"], "public, max-age=2");
        assert_eq!(resp.headers()["content-type"], "application/json");
        let etag = resp.headers()["etag"].to_str().expect("etag").to_owned();
        (etag, resp.bytes().await.expect("body"))
    };
    let (etag, body) = answer(public(&t, &path).await).await;
    for _ in 0..3 {
        assert_eq!(
            answer(public(&t, &path).await).await,
            (etag.clone(), body.clone()),
            "the same bytes and ETag again"
        );
    }
    let if_none_match = |tag: String| {
        let (http, url) = (t.env.http.clone(), t.url(&path));
        async move {
            let resp = http
                .get(url)
                .header("if-none-match", tag)
                .send()
                .await
                .expect("sent");
            (resp.status().as_u16(), resp.headers().get("etag").cloned())
        }
    };
    for named in [
        etag.clone(),
        format!("W/{etag}"),
        format!("\"KD000000000CN-0-pending\", {etag}"),
        "*".to_owned(),
    ] {
        let (status, tag) = if_none_match(named.clone()).await;
        assert_eq!(status, 304, "If-None-Match: {named}");
        assert_eq!(
            tag.as_ref().and_then(|v| v.to_str().ok()),
            Some(etag.as_str())
        );
    }

    let scan = json!({"event_id": "s1", "status": "in_transit", "occurred_at": Utc::now().to_rfc3339(),
        "location": {"city": "上海", "hub_code": "SHA01"}});
    let accepted = t
        .post(&t.admin(), &format!("/api/v1/shipments/{tn}/events"), &scan)
        .await;
    assert!(accepted.status().is_success(), "{}", accepted.status());
    // Once acknowledged, the scan shows within the listener's poll; no entry outlives it.
    let moved = eventually(
        Duration::from_secs(30),
        "the answer moves with the scan",
        || {
            let (http, url, old) = (t.env.http.clone(), t.url(&path), etag.clone());
            async move {
                let resp = http.get(url).send().await.ok()?;
                let tag = resp.headers().get("etag")?.to_str().ok()?.to_owned();
                (tag != old).then_some(tag)
            }
        },
    )
    .await;
    assert!(moved.ends_with("-in_transit\""), "{moved}");
    assert_eq!(
        if_none_match(etag.clone()).await.0,
        200,
        "the old tag is stale"
    );
    assert_eq!(if_none_match(moved).await.0, 304);
    t.app.stop().await;
}

/// Two replicas of the service on one fresh database.
async fn two_replicas(env: &TestEnv) -> Vec<RunningApp> {
    let database = migrated_database("shipments", kuaidi_shipments::startup::MIGRATIONS);
    let mut replicas = Vec::new();
    for _ in 0..2 {
        replicas.push(
            kuaidi_shipments::build(env.settings_with(database.clone()))
                .await
                .expect("replica builds")
                .spawn(),
        );
    }
    replicas
}

/// Two replicas on one database: each caches public answers, and a scan accepted by one is
/// served by the other once its listener has heard the change — not when a cache entry expires
/// (entries live for minutes), so this fails without the invalidation.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_scan_accepted_by_one_replica_is_tracked_by_every_replica() {
    let env = TestEnv::new();
    let replicas = two_replicas(&env).await;
    let admin = env.token(Role::Admin, None);
    let (a, b) = (replicas[0].url(), replicas[1].url());
    let post = |url: String, body: Value| env.http.post(url).bearer_auth(&admin).json(&body).send();
    let created = expect_json(
        post(
            format!("{a}/api/v1/shipments"),
            shipment_body(Uuid::now_v7()),
        )
        .await
        .expect("sent"),
        201,
    )
    .await;
    let tn = created["tracking_number"].as_str().expect("tn").to_owned();
    let track = |base: &str| format!("{base}/api/v1/tracking/{tn}");
    // Replica B caches the answer once its listener is up (until then it serves from the
    // database, which is as fresh).
    let status = |resp: reqwest::Response| async move {
        let body: Value = resp.json().await.expect("json");
        body["status"].as_str().expect("status").to_owned()
    };
    assert_eq!(
        status(env.http.get(track(&b)).send().await.expect("sent")).await,
        "pending"
    );

    let scan = json!({"event_id": "s1", "status": "in_transit", "occurred_at": Utc::now().to_rfc3339(),
        "location": {"city": "上海", "hub_code": "SHA01"}});
    let accepted = post(format!("{a}/api/v1/shipments/{tn}/events"), scan)
        .await
        .expect("sent");
    assert!(accepted.status().is_success(), "{}", accepted.status());

    let http = env.http.clone();
    eventually(
        Duration::from_secs(30),
        "replica B tracks the scan accepted by replica A",
        || {
            let (http, url) = (http.clone(), track(&b));
            async move {
                let body: Value = http.get(url).send().await.ok()?.json().await.ok()?;
                (body["status"] == "in_transit").then_some(())
            }
        },
    )
    .await;
    let resp = env.http.get(track(&b)).send().await.expect("sent");
    let etag = resp.headers()["etag"].to_str().expect("etag").to_owned();
    assert!(
        etag.ends_with("-in_transit\""),
        "the ETag moved with the scan: {etag}"
    );
    let again = env
        .http
        .get(track(&b))
        .header("if-none-match", &etag)
        .send()
        .await
        .expect("sent");
    assert_eq!(again.status(), 304, "the cached answer keeps its ETag");
    for r in replicas {
        r.stop().await;
    }
}

/// Authenticated reads are cached too (the row and its timeline per tracking number): each
/// caller still gets their own view — masked for an operator, unmasked for an admin, nothing
/// for another merchant — and a scan accepted by one replica is shown by the other once its
/// listener has heard the change, with a new ETag (entries live for minutes otherwise).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cached_shipment_shows_each_caller_their_view_and_follows_every_scan() {
    let env = TestEnv::new();
    let replicas = two_replicas(&env).await;
    let merchant = Uuid::now_v7();
    let (admin, operator) = (
        env.token(Role::Admin, None),
        env.token(Role::Operator, None),
    );
    let (own, other) = (
        env.token(Role::Merchant, Some(merchant)),
        env.token(Role::Merchant, Some(Uuid::now_v7())),
    );
    let (a, b) = (replicas[0].url(), replicas[1].url());
    let created = expect_json(
        env.http
            .post(format!("{a}/api/v1/shipments"))
            .bearer_auth(&admin)
            .json(&shipment_body(merchant))
            .send()
            .await
            .expect("sent"),
        201,
    )
    .await;
    let tn = created["tracking_number"].as_str().expect("tn").to_owned();
    let get = |token: &str, etag: Option<&str>| {
        let mut req = env
            .http
            .get(format!("{b}/api/v1/shipments/{tn}"))
            .bearer_auth(token);
        if let Some(tag) = etag {
            req = req.header("if-none-match", tag);
        }
        req.send()
    };
    // Twice each, in an order where a view cached for one caller would reach the next.
    for _ in 0..2 {
        let resp = get(&operator, None).await.expect("sent");
        assert!(resp.headers().get("kuaidi-audit-pii").is_none());
        let masked = expect_json(resp, 200).await;
        assert_eq!(masked["recipient"]["phone"], "138****5678");
        let resp = get(&admin, None).await.expect("sent");
        assert!(
            resp.headers().get("kuaidi-audit-pii").is_some(),
            "unmasked read audited"
        );
        assert_eq!(
            expect_json(resp, 200).await["recipient"]["phone"],
            "13812345678"
        );
        let mine = expect_json(get(&own, None).await.expect("sent"), 200).await;
        assert_eq!(mine["recipient"]["name"], "张三丰");
        assert_eq!(get(&other, None).await.expect("sent").status(), 404);
    }
    let before = get(&operator, None).await.expect("sent");
    let old_tag = before.headers()["etag"].to_str().expect("etag").to_owned();
    assert_eq!(
        get(&operator, Some(&old_tag)).await.expect("sent").status(),
        304
    );

    let scan = json!({"event_id": "s1", "status": "in_transit", "occurred_at": Utc::now().to_rfc3339(),
        "location": {"city": "上海", "hub_code": "SHA01"}});
    let accepted = env
        .http
        .post(format!("{a}/api/v1/shipments/{tn}/events"))
        .bearer_auth(&admin)
        .json(&scan)
        .send()
        .await
        .expect("sent");
    assert!(accepted.status().is_success(), "{}", accepted.status());
    eventually(
        Duration::from_secs(30),
        "replica B shows the scan accepted by replica A",
        || async {
            let body: Value = get(&operator, None).await.ok()?.json().await.ok()?;
            (body["status"] == "in_transit" && body["timeline"].as_array()?.len() == 1)
                .then_some(())
        },
    )
    .await;
    let moved = get(&operator, Some(&old_tag)).await.expect("sent");
    assert_eq!(moved.status(), 200, "the old ETag is stale after the scan");
    assert_ne!(moved.headers()["etag"].to_str().expect("etag"), old_tag);
    let mine = expect_json(get(&own, None).await.expect("sent"), 200).await;
    assert_eq!(mine["status"], "in_transit", "every view followed the scan");
    for r in replicas {
        r.stop().await;
    }
}

/// The public answer's ETag once its timeline holds `entries` checkpoints.
async fn etag_of_timeline(t: &TestApp, path: &str, entries: usize) -> String {
    eventually(Duration::from_secs(10), "the scans tracked", || async {
        let resp = public(t, path).await;
        let etag = resp.headers().get("etag")?.to_str().ok()?.to_owned();
        let body: Value = resp.json().await.ok()?;
        (body["timeline"].as_array()?.len() == entries).then_some(etag)
    })
    .await
}

/// A late scan older than the latest one joins the timeline without moving the status: the
/// answer changed, so its ETag must too (a tag taken from the timeline's last entry, ordered by
/// `occurred_at`, would not move).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_late_older_scan_changes_the_public_etag() {
    let t = spawn().await;
    let tn = new_shipment(&t).await;
    let path = format!("/api/v1/tracking/{tn}");
    let operator = t.env.token(Role::Operator, None);
    let now = Utc::now();
    let scan = |id: &str, status: &str, at: chrono::DateTime<Utc>| json!({"event_id": id, "status": status, "occurred_at": at.to_rfc3339()});
    let events = format!("/api/v1/shipments/{tn}/events");
    let resp = t
        .post(&operator, &events, &scan("s1", "in_transit", now))
        .await;
    assert_eq!(resp.status(), 201);
    let before = etag_of_timeline(&t, &path, 1).await;

    let late = scan("s0", "info_received", now - chrono::Duration::hours(1));
    assert_eq!(t.post(&operator, &events, &late).await.status(), 201);

    let after = etag_of_timeline(&t, &path, 2).await;
    assert_ne!(after, before, "the answer changed, so must its ETag");
    let revalidated = t
        .env
        .http
        .get(t.url(&path))
        .header("if-none-match", &before)
        .send()
        .await
        .expect("sent");
    assert_eq!(revalidated.status(), 200, "the old ETag is stale");
    let body = body_json(revalidated).await;
    assert_eq!(
        body["status"], "in_transit",
        "the late scan did not move it"
    );
    t.app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn phone_last4_matches_the_normalised_phone_however_it_was_written() {
    let t = spawn().await;
    let mut body = shipment_body(Uuid::now_v7());
    body["recipient"]["phone"] = json!("+86 138-1234-5678 (mobile)");
    let created = expect_json(t.create(&t.admin(), &body).await, 201).await;
    let tn = created["tracking_number"].as_str().expect("tn");

    let named =
        body_json(public(&t, &format!("/api/v1/tracking/{tn}?phone_last4=5678")).await).await;

    assert_eq!(
        named["recipient_name"], "张**",
        "the last four digits of the number match, whatever follows them"
    );
    let wrong =
        body_json(public(&t, &format!("/api/v1/tracking/{tn}?phone_last4=1234")).await).await;
    assert!(wrong.get("recipient_name").is_none());
    t.app.stop().await;
}

/// A phone number a courier typed into a scan's description is personal data: public tracking
/// masks it as the API masks phones, an authenticated read shows the text as stored.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn phone_numbers_in_descriptions_are_masked_for_the_public_only() {
    let t = spawn().await;
    let tn = new_shipment(&t).await;
    let described = [
        ("d1", "签收人 王五 电话13900001111"),
        ("d2", "致电 +86 139-0000-1111 未接通, 共 3 件, 2 号门"),
    ];
    for (i, (id, description)) in described.iter().enumerate() {
        let at = Utc::now() - chrono::Duration::minutes(10 - i as i64);
        let scan = json!({"event_id": id, "status": "in_transit", "occurred_at": at.to_rfc3339(),
            "description": description});
        let resp = t
            .post(&t.admin(), &format!("/api/v1/shipments/{tn}/events"), &scan)
            .await;
        assert_eq!(resp.status(), 201, "the scan was to be accepted");
    }

    let masked = [
        "签收人 王五 电话139****1111",
        "致电 +86****1111 未接通, 共 3 件, 2 号门",
    ];
    for query in ["", "?phone_last4=5678"] {
        let path = format!("/api/v1/tracking/{tn}{query}");
        let text = public(&t, &path).await.text().await.expect("body");
        for phone in ["13900001111", "139-0000-1111"] {
            assert!(!text.contains(phone), "{path} leaked {phone}: {text}");
        }
        let body: Value = serde_json::from_str(&text).expect("json");
        assert_eq!(
            kuaidi_shared::testing::strings(&body["timeline"], "description"),
            masked,
            "{path}"
        );
    }
    let staff = body_json(t.shipment(&t.admin(), &tn).await).await;
    assert_eq!(
        kuaidi_shared::testing::strings(&staff["timeline"], "description"),
        described.map(|(_, d)| d),
        "staff read the text as stored"
    );
    t.app.stop().await;
}
