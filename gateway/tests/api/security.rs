//! Identities and access control at the gateway: refresh rotation, users, OAuth2 clients, API
//! keys, rate limits, idempotency, the audit log, CORS and security headers.

use kuaidi_shared::testing::{body_json, TestEnv};
use serde_json::{json, Value};
use std::time::Duration;

use crate::helpers::{
    admin_token, audit, login, merchant_client, settings, spawn, token_request, TestGateway,
    ADMIN_PASSWORD,
};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refresh_tokens_rotate_and_a_reused_one_revokes_the_whole_session() {
    let gw = TestGateway::spawn().await;
    let env = &gw.env;
    let first = body_json(login(&env.http, &gw.app.url(), "admin", ADMIN_PASSWORD).await).await;
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
    let refused = gw
        .post(
            "",
            "/api/v1/auth/refresh",
            &json!({"refresh_token": "nope"}),
        )
        .await;
    assert_eq!(refused.status(), 401);
    let failed = audit(
        env,
        &gw.app.url(),
        &admin,
        "action=auth.refresh&outcome=failure",
    )
    .await;
    assert!(!failed.is_empty(), "a refused refresh token is audited");
    let reuses = audit(env, &gw.app.url(), &admin, "action=auth.refresh_reuse").await;
    assert_eq!(reuses.len(), 1);

    let fresh = body_json(login(&env.http, &gw.app.url(), "admin", ADMIN_PASSWORD).await).await;
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
    let agent = body_json(login(&gw.env.http, &gw.app.url(), "li.na", AGENT_PASSWORD).await).await;
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
    // A merchant's API key is a credential here too: a merchant, who may not (403); a key that
    // is none is no credential (401).
    let created = gw
        .post(
            &admin,
            "/api/v1/api-keys",
            &json!({"name": "Shop key", "merchant_id": uuid::Uuid::now_v7()}),
        )
        .await;
    let key = body_json(created).await["key"]
        .as_str()
        .expect("key")
        .to_owned();
    for (key, status) in [(key.as_str(), 403), ("kd_not_a_key", 401)] {
        for path in ["/api/v1/users", "/api/v1/api-keys"] {
            let r = gw
                .env
                .http
                .get(gw.url(path))
                .header("x-api-key", key)
                .send()
                .await
                .expect("sent");
            assert_eq!(r.status(), status, "{path} with {key}");
            let problem = kuaidi_shared::testing::expect_problem(r, status).await;
            assert_eq!(problem["instance"], path, "{problem}");
            assert!(problem["request_id"].is_string(), "{problem}");
        }
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
    let me = body_json(gw.get(&admin, "/api/v1/users?limit=200").await).await;
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_created_client_or_api_key_is_readable_at_its_location_without_its_secret() {
    let gw = TestGateway::spawn().await;
    let admin = gw.admin_token().await;
    let merchant = "0193a0c4-8a6e-7c1a-9a51-5f0c2b1d7e01";
    let cases = [
        (
            "/api/v1/clients",
            json!({"name": "Shop B", "role": "merchant", "merchant_id": merchant}),
            "client_secret",
        ),
        (
            "/api/v1/api-keys",
            json!({"name": "Shop B key", "merchant_id": merchant}),
            "key",
        ),
    ];
    for (path, body, secret) in cases {
        let created = gw.post(&admin, path, &body).await;
        assert_eq!(created.status(), 201, "{path}");
        let location = created.headers()["location"]
            .to_str()
            .expect("ascii")
            .to_owned();
        let created = body_json(created).await;
        assert!(created[secret].is_string(), "{path}: the secret, this once");
        let read = gw.get(&admin, &location).await;
        assert_eq!(read.status(), 200, "{location}");
        let etag = read.headers()["etag"].clone();
        let read = body_json(read).await;
        assert_eq!(read["id"], created["id"]);
        assert_eq!(read["name"], body["name"]);
        assert!(
            read.get(secret).is_none(),
            "{location}: never the secret again"
        );
        let again = gw
            .request(reqwest::Method::GET, &location, &admin)
            .header("if-none-match", etag.clone())
            .send()
            .await
            .expect("request");
        assert_eq!(again.status(), 304, "{location}");
        assert_eq!(gw.delete(&admin, &location).await.status(), 204);
        let revoked = gw.get(&admin, &location).await;
        let revoked_etag = revoked.headers()["etag"].clone();
        assert_ne!(revoked_etag, etag, "revoking changes the ETag");
        let revoked_at = body_json(revoked).await["revoked_at"].clone();
        assert!(revoked_at.is_string());
        assert_eq!(
            gw.delete(&admin, &location).await.status(),
            204,
            "again: done"
        );
        let again = gw.get(&admin, &location).await;
        assert_eq!(again.headers()["etag"], revoked_etag, "nothing changed");
        assert_eq!(
            body_json(again).await["revoked_at"],
            revoked_at,
            "its time kept"
        );
        let unknown = format!("{path}/0193a0c4-0000-7000-8000-000000000000");
        assert_eq!(gw.get(&admin, &unknown).await.status(), 404, "{unknown}");
        assert_eq!(gw.delete(&admin, &unknown).await.status(), 404, "{unknown}");
    }
    gw.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn behind_a_trusted_proxy_the_caller_is_the_address_it_forwards_for() {
    let env = TestEnv::new();
    let mut s = settings(&env);
    s.rate_limits.public_per_ip = 2;
    s.http.trusted_proxies = vec!["127.0.0.0/8".into()];
    let gw = spawn(s).await;
    let public = |client: &'static str| {
        env.http
            .get(format!("{}/api/v1/tracking/KD473124829CN", gw.url()))
            .header("x-forwarded-for", client)
            .send()
    };
    for _ in 0..2 {
        assert_ne!(public("203.0.113.7").await.expect("sent").status(), 429);
    }
    assert_eq!(
        public("203.0.113.7").await.expect("sent").status(),
        429,
        "one caller behind the proxy is limited"
    );
    assert_ne!(
        public("203.0.113.8").await.expect("sent").status(),
        429,
        "another caller behind the same proxy has a bucket of its own"
    );
    let signed_in = env
        .http
        .post(format!("{}/api/v1/auth/login", gw.url()))
        .header("x-forwarded-for", "198.51.100.4")
        .json(&json!({"username": "admin", "password": ADMIN_PASSWORD}))
        .send()
        .await
        .expect("sent");
    let admin = body_json(signed_in).await["access_token"]
        .as_str()
        .expect("token")
        .to_owned();
    let logins = audit(&env, &gw.url(), &admin, "action=auth.login").await;
    assert_eq!(
        logins[0]["ip"], "198.51.100.4",
        "the audit log names the caller"
    );
    gw.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deactivated_users_live_token_is_refused_at_once_not_when_it_expires() {
    let gw = TestGateway::spawn().await;
    let admin = gw.admin_token().await;
    let (path, _) = agent_li_na(&gw, &admin).await;
    let agent = body_json(login(&gw.env.http, &gw.app.url(), "li.na", AGENT_PASSWORD).await).await;
    let agent = agent["access_token"].as_str().expect("agent token");
    // Live: past the edge (no service listens here: 502), and an own route refuses the role.
    assert_eq!(gw.get(agent, "/api/v1/customers/x").await.status(), 502);
    assert_eq!(gw.get(agent, "/api/v1/users").await.status(), 403);

    let deleted = gw
        .request(reqwest::Method::DELETE, &path, &admin)
        .send()
        .await
        .expect("sent");
    assert_eq!(deleted.status(), 204);
    for path in ["/api/v1/customers/x", "/api/v1/users"] {
        let refused = gw.get(agent, path).await;
        let problem = kuaidi_shared::testing::expect_problem(refused, 401).await;
        assert_eq!(
            problem["detail"],
            "authentication required: the user was deactivated"
        );
    }
    assert_eq!(
        gw.get(&admin, "/api/v1/users").await.status(),
        200,
        "others go on"
    );
    gw.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_password_or_role_refuses_the_users_earlier_tokens_and_a_new_sign_in_works_at_once() {
    let gw = TestGateway::spawn().await;
    let admin = gw.admin_token().await;
    let (path, etag) = agent_li_na(&gw, &admin).await;
    let (http, url) = (&gw.env.http, &gw.app.url());
    let sign_in = |password: &'static str| async move {
        let answer = body_json(login(http, url, "li.na", password).await).await;
        answer["access_token"].as_str().expect("token").to_owned()
    };
    let before = sign_in(AGENT_PASSWORD).await;
    // Live: past the edge (no service listens here: 502).
    assert_eq!(gw.get(&before, "/api/v1/customers/x").await.status(), 502);

    let new_password = "Courier-2026-autumn";
    let body = json!({"password": new_password});
    assert_eq!(patch_user(&gw, &admin, &path, &etag, body).await, 200);
    // Signed in again within the same second as the change: the new token is dated after it.
    let after = sign_in(new_password).await;
    for path in ["/api/v1/customers/x", "/api/v1/users"] {
        let refused = gw.get(&before, path).await;
        let problem = kuaidi_shared::testing::expect_problem(refused, 401).await;
        assert_eq!(
            problem["detail"],
            "authentication required: the user's sessions ended (password or role changed)"
        );
    }
    assert_eq!(gw.get(&after, "/api/v1/customers/x").await.status(), 502);

    // A role taken away: the token that still says `agent` is refused too.
    let tag = gw.get(&admin, &path).await.headers()["etag"].clone();
    let tag = tag.to_str().expect("etag");
    let body = json!({"role": "analyst"});
    assert_eq!(patch_user(&gw, &admin, &path, tag, body).await, 200);
    assert_eq!(gw.get(&after, "/api/v1/customers/x").await.status(), 401);
    let analyst = sign_in(new_password).await;
    assert_eq!(gw.get(&analyst, "/api/v1/customers/x").await.status(), 502);
    // A change that ends nothing (the display name) refuses nothing.
    let tag = gw.get(&admin, &path).await.headers()["etag"].clone();
    let body = json!({"display_name": "李娜 (分析)"});
    let tag = tag.to_str().expect("etag");
    assert_eq!(patch_user(&gw, &admin, &path, tag, body).await, 200);
    assert_eq!(gw.get(&analyst, "/api/v1/customers/x").await.status(), 502);
    gw.stop().await;
}
