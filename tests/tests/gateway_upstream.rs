//! The gateway in front of real services (it links none itself): what it forwards, streams,
//! refuses, replays (only what was executed: a refused request's key runs again) and audits,
//! seen from the caller and from the service behind it.

use diesel::prelude::*;
use kuaidi_gateway::configuration::GatewaySettings;
use kuaidi_gateway::db::schema::idempotency_keys;
use kuaidi_gateway::testing::{
    admin_token, audit, keyed, login, merchant_client, settings, shipment_body, spawn, TestGateway,
    MERCHANT,
};
use kuaidi_shared::app::RunningApp;
use kuaidi_shared::testing::{body_json, expect_problem, send_json, TestEnv};
use secrecy::ExposeSecret;
use serde_json::{json, Value};

/// A gateway in front of a real shipments service (started first, in the same test
/// environment), with `adjust` applied to its settings.
async fn with_shipments(adjust: impl FnOnce(&mut GatewaySettings)) -> (TestGateway, RunningApp) {
    let env = TestEnv::new();
    let shipments = kuaidi_shipments::build(env.settings("shipments"))
        .await
        .expect("builds")
        .spawn();
    let url = shipments.url();
    let gw = TestGateway::spawn_with(env, |s| {
        s.services.shipments = url;
        adjust(s);
    })
    .await;
    (gw, shipments)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_reach_the_service_with_their_token_and_request_id() {
    let (gw, shipments) = with_shipments(|_| {}).await;
    let env = &gw.env;
    let admin = gw.admin_token().await;

    let resp = env
        .http
        .post(gw.url("/api/v1/shipments"))
        .bearer_auth(&admin)
        .header("x-request-id", "req-12345")
        .json(&json!({
            "recipient": {"name": "张三", "phone": "13812345678", "address": "建国路 88 号", "city": "北京"},
            "origin": {"city": "上海"}, "destination": {"city": "北京"},
            "service_level": "standard", "weight_kg": 3, "freight": {"amount": "12", "currency": "CNY"},
            "merchant_id": "0193a0c4-8a6e-7c1a-9a51-5f0c2b1d7e01"
        }))
        .send()
        .await
        .expect("sent");

    assert_eq!(resp.status(), 201);
    assert_eq!(resp.headers()["x-request-id"], "req-12345");
    assert!(resp.headers()["location"]
        .to_str()
        .expect("ascii")
        .starts_with("/api/v1/shipments/KD"));
    let body: Value = resp.json().await.expect("json");
    assert_eq!(body["freight"]["amount"], "12.00");

    // A value of the wrong type is refused naming where it stood, not what it was.
    for (bad, field) in [
        (
            json!({"recipient": {"name": "张三", "phone": 13812345678_u64}}),
            "recipient.phone",
        ),
        (json!({"weight_kg": "heavy"}), "weight_kg"),
    ] {
        let mut body = json!({
            "recipient": {"name": "张三", "phone": "13812345678", "address": "建国路 88 号", "city": "北京"},
            "origin": {"city": "上海"}, "destination": {"city": "北京"},
            "service_level": "standard", "weight_kg": 3, "freight": {"amount": "12", "currency": "CNY"},
            "merchant_id": "0193a0c4-8a6e-7c1a-9a51-5f0c2b1d7e01"
        });
        for (k, v) in bad.as_object().expect("object") {
            match (body[k].as_object_mut(), v.as_object()) {
                (Some(into), Some(fields)) => into.extend(fields.clone()),
                _ => body[k] = v.clone(),
            }
        }
        let refused = gw.post(&admin, "/api/v1/shipments", &body).await;
        assert_eq!(refused.status(), 422);
        let problem: Value = refused.json().await.expect("json");
        assert_eq!(problem["errors"][0]["field"], field, "{problem}");
    }
    gw.stop().await;
    shipments.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn large_bodies_stream_through_and_oversized_ones_are_refused() {
    let (gw, shipments) = with_shipments(|s| {
        s.proxy.max_body_bytes = 512 * 1024;
    })
    .await;
    let admin = gw.admin_token().await;
    let mut body = json!({
        "recipient": {"name": "张三", "phone": "13812345678", "address": "建国路 88 号", "city": "北京"},
        "origin": {"city": "上海"}, "destination": {"city": "北京"},
        "service_level": "standard", "weight_kg": 3, "freight": {"amount": "12", "currency": "CNY"},
        "merchant_id": "0193a0c4-8a6e-7c1a-9a51-5f0c2b1d7e01"
    });
    body["carrier"] = json!("x".repeat(300 * 1024));

    // Streamed (larger than the buffering threshold): the service sees all of it and names the field.
    let streamed = gw.post(&admin, "/api/v1/shipments", &body).await;
    assert_eq!(streamed.status(), 422);
    let problem: Value = streamed.json().await.expect("json");
    assert_eq!(problem["errors"][0]["field"], "carrier");

    body["carrier"] = json!("x".repeat(600 * 1024));
    let refused = gw.post(&admin, "/api/v1/shipments", &body).await;
    // over the gateway's limit
    let problem = kuaidi_shared::testing::expect_problem(refused, 413).await;
    assert_eq!(
        problem["type"],
        "https://kuaidi.dev/problems/payload_too_large"
    );
    gw.stop().await;
    shipments.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_token_acts_for_its_merchant_until_the_client_is_revoked() {
    let (gw, shipments) = with_shipments(|_| {}).await;
    let admin = gw.admin_token().await;
    let client = merchant_client(&gw, &admin).await;
    let (client_id, secret) = (
        client["client_id"].as_str().expect("id"),
        client["client_secret"].as_str().expect("secret"),
    );
    let basic = || {
        gw.env
            .http
            .post(gw.url("/api/v1/auth/token"))
            .basic_auth(client_id, Some(secret))
            .form(&[("grant_type", "client_credentials")])
            .send()
    };
    let ok = basic().await.expect("sent");
    assert_eq!(ok.status(), 200);
    assert_eq!(ok.headers()["cache-control"], "no-store");
    let ok: Value = ok.json().await.expect("json");
    assert_eq!(ok["token_type"], "Bearer");
    assert_eq!(ok["scope"], "shipments:create");
    let token = ok["access_token"].as_str().expect("token").to_owned();

    let mut body = shipment_body(3);
    body.as_object_mut().expect("object").remove("merchant_id");
    let created_shipment = gw.post(&token, "/api/v1/shipments", &body).await;
    assert_eq!(created_shipment.status(), 201);
    assert_eq!(
        created_shipment.json::<Value>().await.expect("json")["merchant_id"],
        MERCHANT,
        "the tenant comes from the client"
    );

    let revoked = gw
        .delete(
            &admin,
            &format!("/api/v1/clients/{}", client["id"].as_str().expect("id")),
        )
        .await;
    assert_eq!(revoked.status(), 204);
    let refused = gw.post(&token, "/api/v1/shipments", &body).await;
    assert_eq!(
        refused.status(),
        401,
        "a revoked client's live token is refused"
    );
    assert_eq!(
        basic().await.expect("sent").status(),
        401,
        "and gets no new one"
    );
    let url = gw.app.url();
    let issued = audit(&gw.env, &url, &admin, "action=auth.token&outcome=success").await;
    assert_eq!(issued.len(), 1);
    let principal = issued[0]["principal"].as_str().expect("principal");
    let refused = audit(&gw.env, &url, &admin, &format!("principal={principal}")).await;
    assert!(
        refused
            .iter()
            .any(|r| r["action"] == "auth.token" && r["outcome"] == "failure"),
        "the revoked client's refusal is under the principal its tokens carried: {refused:?}"
    );
    for action in ["client.create", "client.revoke"] {
        let rows = audit(&gw.env, &url, &admin, &format!("action={action}")).await;
        assert_eq!(rows.len(), 1, "{action} audited");
    }
    gw.stop().await;
    shipments.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn api_keys_are_shown_once_work_as_the_merchant_and_stop_when_revoked() {
    let (gw, shipments) = with_shipments(|_| {}).await;
    let env = &gw.env;
    let admin = gw.admin_token().await;
    let merchant = "0193a0c4-8a6e-7c1a-9a51-5f0c2b1d7e02";
    let created = body_json(
        gw.post(
            &admin,
            "/api/v1/api-keys",
            &json!({"name": "sync", "merchant_id": merchant}),
        )
        .await,
    )
    .await;
    let key = created["key"].as_str().expect("key shown once").to_owned();
    let listed = body_json(gw.get(&admin, "/api/v1/api-keys").await).await;
    assert!(
        listed["data"][0].get("key").is_none(),
        "the key is never shown again"
    );
    assert!(!listed.to_string().contains(&key));

    let mut body = shipment_body(3);
    body.as_object_mut().expect("object").remove("merchant_id");
    let resp = env
        .http
        .post(gw.url("/api/v1/shipments"))
        .header("x-api-key", &key)
        .json(&body)
        .send()
        .await
        .expect("sent");
    assert_eq!(resp.status(), 201);
    let shipment: Value = resp.json().await.expect("json");
    assert_eq!(shipment["merchant_id"], merchant);
    let bogus = env
        .http
        .get(gw.url("/api/v1/shipments/X"))
        .header("x-api-key", "kd_live_nope")
        .send()
        .await
        .expect("sent");
    assert_eq!(bogus.status(), 401);
    let failed = audit(
        env,
        &gw.app.url(),
        &admin,
        "action=auth.api_key&outcome=failure",
    )
    .await;
    assert_eq!(failed.len(), 1, "a refused API key is audited");
    assert_eq!(failed[0]["details"]["prefix"], "kd_live_nope");

    let revoked = gw
        .delete(
            &admin,
            &format!("/api/v1/api-keys/{}", created["id"].as_str().expect("id")),
        )
        .await;
    assert_eq!(revoked.status(), 204);
    let after = env
        .http
        .get(gw.url(&format!(
            "/api/v1/shipments/{}",
            shipment["tracking_number"].as_str().expect("tn")
        )))
        .header("x-api-key", &key)
        .send()
        .await
        .expect("sent");
    assert_eq!(after.status(), 401);
    gw.stop().await;
    shipments.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_idempotency_key_replays_the_first_answer_and_refuses_a_different_body() {
    let (gw, shipments) = with_shipments(|_| {}).await;
    let env = &gw.env;
    let admin = gw.admin_token().await;
    let post = |body: Value, key: &'static str| {
        env.http
            .post(gw.url("/api/v1/shipments"))
            .bearer_auth(&admin)
            .header("idempotency-key", key)
            .json(&body)
            .send()
    };

    let first = post(shipment_body(3), "order-42").await.expect("sent");
    assert_eq!(first.status(), 201);
    let location = first.headers()["location"].clone();
    let first: Value = first.json().await.expect("json");
    let replay = post(shipment_body(3), "order-42").await.expect("sent");
    assert_eq!(replay.status(), 201);
    assert_eq!(replay.headers()["idempotent-replayed"], "true");
    assert_eq!(replay.headers()["location"], location);
    let replay: Value = replay.json().await.expect("json");
    assert_eq!(
        replay["tracking_number"], first["tracking_number"],
        "one shipment, answered twice"
    );

    let mut other = shipment_body(3);
    other["weight_kg"] = json!(9);
    let conflict = post(other, "order-42").await.expect("sent");
    assert_eq!(conflict.status(), 422);
    assert_eq!(
        conflict.json::<Value>().await.expect("json")["code"],
        "idempotency_key_reused"
    );
    gw.stop().await;
    shipments.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_request_keeps_nothing_so_its_key_runs_again_corrected_or_not() {
    let (gw, shipments) = with_shipments(|_| {}).await;
    let admin = gw.admin_token().await;
    let mut invalid = shipment_body(3);
    invalid["service_level"] = json!("overnight");
    for attempt in ["first", "again, same body"] {
        let refused = keyed(&gw, &admin, "order-51", &invalid).await;
        assert!(
            refused.headers().get("idempotent-replayed").is_none(),
            "{attempt}: validated again, not replayed"
        );
        let problem = expect_problem(refused, 422).await;
        assert_ne!(problem["code"], "idempotency_key_reused", "{attempt}");
    }
    let created = keyed(&gw, &admin, "order-51", &shipment_body(3)).await;
    assert_eq!(
        created.status(),
        201,
        "the corrected body, with the same key"
    );
    let location = created.headers()["location"].clone();
    let created: Value = created.json().await.expect("json");
    let replay = keyed(&gw, &admin, "order-51", &shipment_body(3)).await;
    assert_eq!(replay.status(), 201);
    assert_eq!(replay.headers()["idempotent-replayed"], "true");
    assert_eq!(replay.headers()["location"], location);
    let replay: Value = replay.json().await.expect("json");
    assert_eq!(replay, created, "one shipment, answered twice");
    let reused = expect_problem(keyed(&gw, &admin, "order-51", &invalid).await, 422).await;
    assert_eq!(
        reused["code"], "idempotency_key_reused",
        "after the create, another body is refused"
    );

    // A 404 (no such shipment yet): the same key and the same body run again.
    let tn = "SF1400000001";
    let path = format!("/api/v1/shipments/{tn}/events");
    let scan = json!({"event_id": "scan-1", "status": "in_transit",
        "occurred_at": chrono::Utc::now().to_rfc3339(), "location": {"city": "北京"}});
    let post_scan = || {
        gw.request(reqwest::Method::POST, &path, &admin)
            .header("idempotency-key", "scan-key")
            .json(&scan)
            .send()
    };
    for attempt in ["first", "again"] {
        let unknown = post_scan().await.expect("sent");
        assert_eq!(unknown.status(), 404, "{attempt}: no such shipment yet");
        assert!(
            unknown.headers().get("idempotent-replayed").is_none(),
            "{attempt}: looked up again, not replayed"
        );
    }
    let mut body = shipment_body(3);
    body["tracking_number"] = json!(tn);
    assert_eq!(
        gw.post(&admin, "/api/v1/shipments", &body).await.status(),
        201
    );
    let accepted = post_scan().await.expect("sent");
    assert_eq!(
        accepted.status(),
        201,
        "the same key and body, now that the shipment exists"
    );
    assert!(accepted.headers().get("idempotent-replayed").is_none());
    let replay = post_scan().await.expect("sent");
    assert_eq!(replay.status(), 201);
    assert_eq!(replay.headers()["idempotent-replayed"], "true");
    gw.stop().await;
    shipments.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logins_and_unmasked_pii_reads_are_audited_without_secrets() {
    let env = TestEnv::new();
    let customers = kuaidi_customers::build(env.settings("customers"))
        .await
        .expect("builds")
        .spawn();
    let mut s = settings(&env);
    s.services.customers = customers.url();
    let gw = spawn(s).await;
    assert_eq!(
        login(&env.http, &gw.url(), "admin", "not-the-password")
            .await
            .status(),
        401
    );
    let admin = admin_token(&env.http, &gw.url()).await;
    let c = send_json(
        env.http
            .post(format!("{}/api/v1/customers", gw.url()))
            .bearer_auth(&admin)
            .json(&json!({"kind": "individual", "name": "王五", "phones": ["13700001111"]})),
    )
    .await;
    let read = env
        .http
        .get(format!(
            "{}/api/v1/customers/{}",
            gw.url(),
            c["id"].as_str().expect("id")
        ))
        .bearer_auth(&admin)
        .send()
        .await
        .expect("sent");
    assert_eq!(read.status(), 200);
    assert!(
        read.headers().get("kuaidi-audit-pii").is_none(),
        "the audit marker is not passed on"
    );

    let logins = audit(&env, &gw.url(), &admin, "action=auth.login").await;
    let outcomes: Vec<&str> = logins
        .iter()
        .filter_map(|e| e["outcome"].as_str())
        .collect();
    assert_eq!(outcomes, vec!["success", "failure"], "newest first");
    assert_eq!(logins[1]["details"]["username"], "admin");
    assert!(
        !serde_json::to_string(&logins)
            .expect("json")
            .contains("not-the-password"),
        "never the password"
    );
    let pii = audit(&env, &gw.url(), &admin, "action=pii.read").await;
    assert_eq!(pii.len(), 2, "the creation and the read show the PII");
    for row in &pii {
        assert_eq!(
            row["target"],
            format!("customer:{}", c["id"].as_str().expect("id"))
        );
        assert!(row["request_id"].is_string() && row["ip"].is_string());
    }
    gw.stop().await;
    customers.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kept_answers_are_sealed_and_replayed_in_clear() {
    let mut database = None;
    let (gw, shipments) = with_shipments(|s| {
        database = Some(s.database_url.expose_secret().to_owned());
    })
    .await;
    let admin = gw.admin_token().await;
    let first = keyed(&gw, &admin, "order-7", &shipment_body(3)).await;
    assert_eq!(first.status(), 201);
    let mut conn = PgConnection::establish(&database.expect("url")).expect("connects");
    let bodies: Vec<Option<Vec<u8>>> = idempotency_keys::table
        .select(idempotency_keys::body)
        .load(&mut conn)
        .expect("rows");
    let stored: Vec<u8> = bodies.into_iter().flatten().flatten().collect();
    assert!(!stored.is_empty());
    let text = String::from_utf8_lossy(&stored);
    assert!(
        !text.contains("13812345678") && !text.contains("张三"),
        "{text}"
    );
    let replay = keyed(&gw, &admin, "order-7", &shipment_body(3)).await;
    assert_eq!(replay.headers()["idempotent-replayed"], "true");
    let replay: Value = replay.json().await.expect("json");
    assert_eq!(replay["recipient"]["phone"], "13812345678");
    gw.stop().await;
    shipments.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_key_from_another_caller_is_another_request() {
    let (gw, shipments) = with_shipments(|_| {}).await;
    let admin = gw.admin_token().await;
    let created = gw
        .post(
            &admin,
            "/api/v1/users",
            &json!({"username": "sun.qi", "password": "Parcel-2026-autumn", "role": "manager"}),
        )
        .await;
    assert_eq!(created.status(), 201);
    let manager =
        body_json(login(&gw.env.http, &gw.app.url(), "sun.qi", "Parcel-2026-autumn").await).await;
    let manager = manager["access_token"].as_str().expect("token");
    let mine = body_json(keyed(&gw, &admin, "shared-key", &shipment_body(3)).await).await;
    let theirs = keyed(&gw, manager, "shared-key", &shipment_body(9)).await;
    assert_eq!(
        theirs.status(),
        201,
        "not a 422: keys are scoped to the caller"
    );
    assert!(theirs.headers().get("idempotent-replayed").is_none());
    let theirs: Value = theirs.json().await.expect("json");
    assert_ne!(theirs["tracking_number"], mine["tracking_number"]);
    gw.stop().await;
    shipments.stop().await;
}
