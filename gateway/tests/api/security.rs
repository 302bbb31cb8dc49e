//! Identities and access control at the gateway: refresh rotation, users, OAuth2 clients, API
//! keys, rate limits, idempotency, the audit log, CORS and security headers.

use kuaidi_shared::testing::TestEnv;
use serde_json::{json, Value};
use std::time::Duration;

use crate::helpers::{admin_token, login, settings, spawn, TestGateway, ADMIN_PASSWORD};

fn shipment_body() -> Value {
    json!({
        "recipient": {"name": "张三", "phone": "13812345678", "address": "建国路 88 号", "city": "北京"},
        "origin": {"city": "上海"}, "destination": {"city": "北京"},
        "service_level": "standard", "weight_kg": 3, "freight": {"amount": "12", "currency": "CNY"},
        "merchant_id": "0193a0c4-8a6e-7c1a-9a51-5f0c2b1d7e01"
    })
}

async fn audit(env: &TestEnv, base: &str, admin: &str, query: &str) -> Vec<Value> {
    let page: Value = env
        .http
        .get(format!("{base}/api/v1/audit-log?{query}"))
        .bearer_auth(admin)
        .send()
        .await
        .expect("sent")
        .json()
        .await
        .expect("json");
    page["data"].as_array().cloned().unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refresh_tokens_rotate_and_a_reused_one_revokes_the_whole_session() {
    let gw = TestGateway::spawn().await;
    let env = &gw.env;
    let first: Value = login(&env.http, &gw.app.url(), "admin", ADMIN_PASSWORD)
        .await
        .json()
        .await
        .expect("json");
    let refresh = |token: Value| {
        let http = env.http.clone();
        let url = gw.url("/api/v1/auth/refresh");
        async move {
            http.post(url)
                .json(&json!({"refresh_token": token}))
                .send()
                .await
                .expect("sent")
        }
    };

    let second = refresh(first["refresh_token"].clone()).await;
    assert_eq!(second.status(), 200);
    let second: Value = second.json().await.expect("json");
    assert_ne!(second["refresh_token"], first["refresh_token"], "rotated");
    assert!(second["access_token"].is_string());

    let reuse = refresh(first["refresh_token"].clone()).await;
    assert_eq!(reuse.status(), 401, "a spent refresh token is refused");
    let after = refresh(second["refresh_token"].clone()).await;
    assert_eq!(
        after.status(),
        401,
        "reuse revoked the family, including the newest token"
    );
    let admin = gw.admin_token().await;
    let reuses = audit(env, &gw.app.url(), &admin, "action=auth.refresh_reuse").await;
    assert_eq!(reuses.len(), 1);

    let fresh: Value = login(&env.http, &gw.app.url(), "admin", ADMIN_PASSWORD)
        .await
        .json()
        .await
        .expect("json");
    let out = env
        .http
        .post(gw.url("/api/v1/auth/logout"))
        .json(&json!({"refresh_token": fresh["refresh_token"]}))
        .send()
        .await
        .expect("sent");
    assert_eq!(out.status(), 204);
    assert_eq!(
        refresh(fresh["refresh_token"].clone()).await.status(),
        401,
        "logged out"
    );
    gw.stop().await;
}

const AGENT_PASSWORD: &str = "Courier-2026-spring";

/// The status of `li.na`'s sign-in.
async fn li_na_signs_in(gw: &TestGateway) -> u16 {
    login(&gw.env.http, &gw.app.url(), "li.na", AGENT_PASSWORD)
        .await
        .status()
        .as_u16()
}

/// `POST /api/v1/users` by `token`.
async fn post_user(gw: &TestGateway, token: &str, body: Value) -> reqwest::Response {
    gw.post(token, "/api/v1/users", &body).await
}

/// Creates the agent `li.na`; answers its path and `ETag`.
async fn agent_li_na(gw: &TestGateway, admin: &str) -> (String, String) {
    let created = post_user(
        gw,
        admin,
        json!({"username": "li.na", "password": AGENT_PASSWORD, "role": "agent", "display_name": "李娜"}),
    )
    .await;
    assert_eq!(created.status(), 201);
    let etag = created.headers()["etag"].to_str().expect("etag").to_owned();
    let user: Value = created.json().await.expect("json");
    let path = format!("/api/v1/users/{}", user["id"].as_str().expect("id"));
    (path, etag)
}

/// `PATCH` of the user at `path` by `admin` with `If-Match: tag`.
async fn patch_user(gw: &TestGateway, admin: &str, path: &str, tag: &str, body: Value) -> u16 {
    gw.env
        .http
        .patch(gw.url(path))
        .bearer_auth(admin)
        .header("if-match", tag)
        .json(&body)
        .send()
        .await
        .expect("sent")
        .status()
        .as_u16()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_user_needs_a_strong_password_and_a_free_username_and_its_hash_never_leaves() {
    let gw = TestGateway::spawn().await;
    let admin = gw.admin_token().await;
    let weak = post_user(
        &gw,
        &admin,
        json!({"username": "li.na", "password": "short", "role": "agent"}),
    )
    .await;
    assert_eq!(weak.status(), 422);
    let created = post_user(
        &gw,
        &admin,
        json!({"username": "li.na", "password": AGENT_PASSWORD, "role": "agent"}),
    )
    .await;
    assert_eq!(created.status(), 201);
    let user: Value = created.json().await.expect("json");
    assert_eq!(user["username"], "li.na");
    assert!(
        user.get("password_hash").is_none(),
        "hashes never leave the gateway"
    );
    let taken = post_user(
        &gw,
        &admin,
        json!({"username": "li.na", "password": AGENT_PASSWORD, "role": "agent"}),
    )
    .await;
    assert_eq!(taken.status(), 409);
    gw.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_admins_manage_users_clients_api_keys_and_read_the_audit_log() {
    let gw = TestGateway::spawn().await;
    let admin = gw.admin_token().await;
    agent_li_na(&gw, &admin).await;
    let agent: Value = login(&gw.env.http, &gw.app.url(), "li.na", AGENT_PASSWORD)
        .await
        .json()
        .await
        .expect("json");
    let agent = agent["access_token"].as_str().expect("agent token");
    let promoted = post_user(
        &gw,
        agent,
        json!({"username": "x.y", "password": AGENT_PASSWORD, "role": "admin"}),
    )
    .await;
    assert_eq!(promoted.status(), 403);
    for path in [
        "/api/v1/users",
        "/api/v1/clients",
        "/api/v1/api-keys",
        "/api/v1/audit-log",
    ] {
        let r = gw.get(agent, path).await;
        assert_eq!(r.status(), 403, "an agent may not read {path}");
        assert_eq!(
            gw.get(&admin, path).await.status(),
            200,
            "the admin reads {path}"
        );
    }
    gw.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_user_edit_on_a_stale_etag_is_412_and_a_current_etag_is_not_modified() {
    let gw = TestGateway::spawn().await;
    let admin = gw.admin_token().await;
    let (path, etag) = agent_li_na(&gw, &admin).await;
    let body = json!({"display_name": "李 娜"});
    assert_eq!(patch_user(&gw, &admin, &path, &etag, body).await, 200);
    assert_eq!(
        patch_user(&gw, &admin, &path, &etag, json!({"role": "manager"})).await,
        412,
        "stale If-Match"
    );
    let current = gw.get(&admin, &path).await;
    let tag = current.headers()["etag"].to_str().expect("etag").to_owned();
    let user_now: Value = current.json().await.expect("json");
    assert_eq!(user_now["role"], "agent", "the stale edit changed nothing");
    let not_modified = gw
        .env
        .http
        .get(gw.url(&path))
        .bearer_auth(&admin)
        .header("if-none-match", &tag)
        .send()
        .await
        .expect("sent");
    assert_eq!(not_modified.status(), 304);
    gw.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_disabled_user_cannot_log_in_and_the_change_is_audited() {
    let gw = TestGateway::spawn().await;
    let admin = gw.admin_token().await;
    let (path, etag) = agent_li_na(&gw, &admin).await;
    assert_eq!(
        patch_user(&gw, &admin, &path, &etag, json!({"disabled": true})).await,
        200
    );
    assert_eq!(
        li_na_signs_in(&gw).await,
        401,
        "disabled users cannot log in"
    );
    let changes = audit(&gw.env, &gw.app.url(), &admin, "action=user.update").await;
    assert_eq!(changes.len(), 1);
    assert_eq!(changes[0]["target"], path.rsplit('/').next().expect("id"));
    gw.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deleted_user_is_deactivated_and_audited_and_an_admin_cannot_delete_themselves() {
    let gw = TestGateway::spawn().await;
    let admin = gw.admin_token().await;
    let (path, _) = agent_li_na(&gw, &admin).await;
    assert_eq!(gw.delete(&admin, &path).await.status(), 204);
    let after: Value = gw.get(&admin, &path).await.json().await.expect("json");
    assert_eq!(
        after["disabled"], true,
        "deactivated, kept for the audit log"
    );
    assert_eq!(li_na_signs_in(&gw).await, 401);
    assert_eq!(
        audit(&gw.env, &gw.app.url(), &admin, "action=user.delete")
            .await
            .len(),
        1
    );
    let me: Value = gw
        .get(&admin, "/api/v1/users?limit=200")
        .await
        .json()
        .await
        .expect("json");
    let my_id = me["data"]
        .as_array()
        .expect("users")
        .iter()
        .find(|u| u["username"] == "admin")
        .map(|u| u["id"].clone())
        .expect("admin listed");
    let own = gw
        .delete(
            &admin,
            &format!("/api/v1/users/{}", my_id.as_str().expect("id")),
        )
        .await;
    assert_eq!(own.status(), 409, "an admin cannot lock themselves out");
    gw.stop().await;
}

/// Registers a merchant client allowed `shipments:create`; answers it (`id`, `client_id`,
/// `client_secret`).
async fn merchant_client(gw: &TestGateway, admin: &str) -> Value {
    let created = gw
        .post(
            admin,
            "/api/v1/clients",
            &json!({"name": "Shop A", "role": "merchant", "merchant_id": MERCHANT,
                    "scopes": ["shipments:create"]}),
        )
        .await;
    assert_eq!(created.status(), 201);
    created.json().await.expect("json")
}

const MERCHANT: &str = "0193a0c4-8a6e-7c1a-9a51-5f0c2b1d7e01";

/// `POST /api/v1/auth/token` with `form`.
async fn token_request(gw: &TestGateway, form: &[(&str, &str)]) -> reqwest::Response {
    gw.env
        .http
        .post(gw.url("/api/v1/auth/token"))
        .form(form)
        .send()
        .await
        .expect("sent")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_token_endpoint_refuses_with_rfc_6749_errors() {
    let gw = TestGateway::spawn().await;
    let admin = gw.admin_token().await;
    let client = merchant_client(&gw, &admin).await;
    let (id, secret) = (
        client["client_id"].as_str().expect("id"),
        client["client_secret"].as_str().expect("secret"),
    );
    let grant = ("grant_type", "client_credentials");
    for (form, status, error) in [
        (
            vec![grant, ("client_id", id), ("client_secret", "nope")],
            401,
            "invalid_client",
        ),
        (
            vec![
                ("grant_type", "password"),
                ("client_id", id),
                ("client_secret", secret),
            ],
            400,
            "unsupported_grant_type",
        ),
        (
            vec![
                grant,
                ("client_id", id),
                ("client_secret", secret),
                ("scope", "admin:all"),
            ],
            400,
            "invalid_scope",
        ),
    ] {
        let resp = token_request(&gw, &form).await;
        assert_eq!(resp.status(), status, "{error}");
        let body: Value = resp.json().await.expect("json");
        assert_eq!(body["error"], error, "RFC 6749 §5.2 error body");
    }
    gw.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_token_acts_for_its_merchant_until_the_client_is_revoked() {
    let (gw, shipments) = TestGateway::with_shipments(|_| {}).await;
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

    let mut body = shipment_body();
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
    for action in ["client.create", "client.revoke"] {
        let rows = audit(&gw.env, &url, &admin, &format!("action={action}")).await;
        assert_eq!(rows.len(), 1, "{action} audited");
    }
    gw.stop().await;
    shipments.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn api_keys_are_shown_once_work_as_the_merchant_and_stop_when_revoked() {
    let (gw, shipments) = TestGateway::with_shipments(|_| {}).await;
    let env = &gw.env;
    let admin = gw.admin_token().await;
    let merchant = "0193a0c4-8a6e-7c1a-9a51-5f0c2b1d7e02";
    let created: Value = gw
        .post(
            &admin,
            "/api/v1/api-keys",
            &json!({"name": "sync", "merchant_id": merchant}),
        )
        .await
        .json()
        .await
        .expect("json");
    let key = created["key"].as_str().expect("key shown once").to_owned();
    let listed: Value = gw
        .get(&admin, "/api/v1/api-keys")
        .await
        .json()
        .await
        .expect("json");
    assert!(
        listed["data"][0].get("key").is_none(),
        "the key is never shown again"
    );
    assert!(!listed.to_string().contains(&key));

    let mut body = shipment_body();
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
async fn rate_limits_trip_at_the_configured_rate_and_recover() {
    let env = TestEnv::new();
    let mut s = settings(&env);
    s.rate_limits.per_principal = 1;
    s.rate_limits.public_per_ip = 2;
    let gw = spawn(s).await;
    let admin = admin_token(&env.http, &gw.url()).await;
    let get = || {
        env.http
            .get(format!("{}/api/v1/analytics/kpis", gw.url()))
            .bearer_auth(&admin)
            .send()
    };

    let first = get().await.expect("sent");
    assert_eq!(
        first.headers()["ratelimit-limit"],
        "2",
        "burst is twice the rate"
    );
    assert_eq!(first.headers()["ratelimit-remaining"], "1");
    assert_ne!(first.status(), 429);
    assert_ne!(get().await.expect("sent").status(), 429);
    let limited = get().await.expect("sent");
    assert_eq!(limited.status(), 429);
    assert_eq!(limited.headers()["retry-after"], "1");
    assert_eq!(
        limited.headers()["content-type"],
        "application/problem+json"
    );
    tokio::time::sleep(Duration::from_millis(1100)).await;
    assert_ne!(
        get().await.expect("sent").status(),
        429,
        "the bucket refills"
    );

    let public = || {
        env.http
            .get(format!("{}/api/v1/tracking/KD473124829CN", gw.url()))
            .send()
    };
    assert_ne!(public().await.expect("sent").status(), 429);
    assert_ne!(public().await.expect("sent").status(), 429);
    assert_eq!(
        public().await.expect("sent").status(),
        429,
        "public tracking is limited per IP"
    );
    gw.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_idempotency_key_replays_the_first_answer_and_refuses_a_different_body() {
    let (gw, shipments) = TestGateway::with_shipments(|_| {}).await;
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

    let first = post(shipment_body(), "order-42").await.expect("sent");
    assert_eq!(first.status(), 201);
    let location = first.headers()["location"].clone();
    let first: Value = first.json().await.expect("json");
    let replay = post(shipment_body(), "order-42").await.expect("sent");
    assert_eq!(replay.status(), 201);
    assert_eq!(replay.headers()["idempotent-replayed"], "true");
    assert_eq!(replay.headers()["location"], location);
    let replay: Value = replay.json().await.expect("json");
    assert_eq!(
        replay["tracking_number"], first["tracking_number"],
        "one shipment, answered twice"
    );

    let mut other = shipment_body();
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
    let c: Value = env
        .http
        .post(format!("{}/api/v1/customers", gw.url()))
        .bearer_auth(&admin)
        .json(&json!({"kind": "individual", "name": "王五", "phones": ["13700001111"]}))
        .send()
        .await
        .expect("sent")
        .json()
        .await
        .expect("json");
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
async fn configured_origins_get_cors_and_every_answer_has_security_headers() {
    let env = TestEnv::new();
    let mut s = settings(&env);
    s.cors.allowed_origins = vec!["https://ops.kuaidi.example".into()];
    let gw = spawn(s).await;
    let preflight = env
        .http
        .request(
            reqwest::Method::OPTIONS,
            format!("{}/api/v1/shipments", gw.url()),
        )
        .header("origin", "https://ops.kuaidi.example")
        .header("access-control-request-method", "POST")
        .header(
            "access-control-request-headers",
            "authorization,content-type",
        )
        .send()
        .await
        .expect("sent");
    assert_eq!(preflight.status(), 200);
    assert_eq!(
        preflight.headers()["access-control-allow-origin"],
        "https://ops.kuaidi.example"
    );
    let foreign = env
        .http
        .get(format!("{}/healthz", gw.url()))
        .header("origin", "https://evil.example")
        .send()
        .await
        .expect("sent");
    assert!(foreign
        .headers()
        .get("access-control-allow-origin")
        .is_none());
    assert_eq!(foreign.headers()["x-content-type-options"], "nosniff");
    assert_eq!(foreign.headers()["x-frame-options"], "DENY");
    gw.stop().await;
}
