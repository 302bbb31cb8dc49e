//! Revoked credentials are refused by the services too, not only by the gateway (SPEC §10,
//! issue 12): a revoked client's or API key's live token, or a staff user's from before their
//! sessions ended (deactivated, password or role changed), sent straight to a service
//! (bypassing the gateway), is refused with `401` once the gateway's `client.revoked` /
//! `api_key.revoked` / `user.sessions_ended` event has reached it — within seconds (relay,
//! consumer, then each replica's reload every second) — while other callers' tokens, and the
//! user's own new ones, keep working.

use diesel::prelude::*;
use kuaidi_shared::auth::{Claims, Role};
use kuaidi_shared::testing::{self, eventually, migrated_database, send_json, TestEnv};
use kuaidi_tests::Suite;
use serde_json::{json, Value};
use std::time::Duration;
use uuid::Uuid;

const MERCHANT: &str = "0193a0c4-8a6e-7c1a-9a51-5f0c2b1d7e01";

/// How long a revocation may take to reach a service (a bound, not a measurement).
const PROPAGATION: Duration = Duration::from_secs(30);

/// `GET /api/v1/shipments` straight at the shipments service with `token`: the status.
async fn direct(suite: &Suite, token: &str) -> u16 {
    let shipments = suite.shipments.as_ref().expect("shipments").url();
    status_at(&suite.env, &shipments, token).await
}

/// `GET /api/v1/shipments` at the shipments instance at `base` with `token`: the status.
async fn status_at(env: &TestEnv, base: &str, token: &str) -> u16 {
    env.http
        .get(format!("{base}/api/v1/shipments?limit=1"))
        .bearer_auth(token)
        .send()
        .await
        .expect("sent")
        .status()
        .as_u16()
}

async fn revoke(suite: &Suite, admin: &str, path: &str) {
    let resp = suite
        .env
        .http
        .delete(suite.url(path))
        .bearer_auth(admin)
        .send()
        .await
        .expect("sent");
    assert_eq!(resp.status(), 204, "{path} revoked");
}

async fn refused_within_the_bound(suite: &Suite, token: &str, what: &str) {
    eventually(PROPAGATION, what, || async {
        (direct(suite, token).await == 401).then_some(())
    })
    .await;
}

/// A merchant token as the gateway issues it for `sub` (it signs with the suite's key).
fn merchant_token(env: &TestEnv, sub: String) -> String {
    let claims = testing::claims(Role::Merchant, &sub);
    testing::signed(
        &env.key,
        &Claims {
            merchant_id: Some(MERCHANT.parse().expect("uuid")),
            nbf: Some(claims.iat),
            ..claims
        },
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_revoked_clients_live_token_is_refused_by_a_service_reached_directly() {
    let suite = Suite::start().await;
    let admin = suite.admin_token().await;
    let body = json!({"name": "Shop A", "role": "merchant", "merchant_id": MERCHANT,
        "scopes": ["shipments:read"]});
    let resp = suite.post(&admin, "/api/v1/clients", &body).await;
    assert_eq!(resp.status(), 201);
    let created: Value = resp.json().await.expect("json");
    let (id, client_id, secret) = (
        created["id"].as_str().expect("id"),
        created["client_id"].as_str().expect("client_id"),
        created["client_secret"].as_str().expect("secret"),
    );
    let grant = send_json(
        suite
            .env
            .http
            .post(suite.url("/api/v1/auth/token"))
            .basic_auth(client_id, Some(secret))
            .form(&[("grant_type", "client_credentials")]),
    )
    .await;
    let token = grant["access_token"].as_str().expect("access_token");
    assert_eq!(direct(&suite, token).await, 200, "the live token works");
    let bystander = merchant_token(&suite.env, format!("client:{}", Uuid::now_v7()));

    revoke(&suite, &admin, &format!("/api/v1/clients/{id}")).await;
    refused_within_the_bound(
        &suite,
        token,
        "the revoked client's token refused by shipments",
    )
    .await;
    assert_eq!(
        direct(&suite, &bystander).await,
        200,
        "another client's token still works"
    );
    suite.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_revoked_api_keys_merchant_token_is_refused_by_a_service_reached_directly() {
    let suite = Suite::start().await;
    let admin = suite.admin_token().await;
    let body = json!({"name": "shop", "merchant_id": MERCHANT});
    let resp = suite.post(&admin, "/api/v1/api-keys", &body).await;
    assert_eq!(resp.status(), 201);
    let created: Value = resp.json().await.expect("json");
    let id = created["id"].as_str().expect("id");
    // The token the gateway exchanges the key for, as a service sees it.
    let token = merchant_token(&suite.env, format!("api_key:{id}"));
    assert_eq!(direct(&suite, &token).await, 200, "the live token works");
    let other = suite.post(&admin, "/api/v1/api-keys", &body).await;
    let other: Value = other.json().await.expect("json");
    let bystander = merchant_token(
        &suite.env,
        format!("api_key:{}", other["id"].as_str().expect("id")),
    );

    revoke(&suite, &admin, &format!("/api/v1/api-keys/{id}")).await;
    refused_within_the_bound(
        &suite,
        &token,
        "the revoked key's token refused by shipments",
    )
    .await;
    let through_gateway = suite
        .env
        .http
        .get(suite.url("/api/v1/shipments?limit=1"))
        .header("x-api-key", created["key"].as_str().expect("key"))
        .send()
        .await
        .expect("sent");
    assert_eq!(through_gateway.status(), 401, "and by the gateway");
    assert_eq!(
        direct(&suite, &bystander).await,
        200,
        "another key's token still works"
    );
    suite.stop().await;
}

/// Signs `username` in through the gateway: the access token.
async fn sign_in(suite: &Suite, username: &str, password: &str) -> String {
    let body = json!({"username": username, "password": password});
    let answer = send_json(
        suite
            .env
            .http
            .post(suite.url("/api/v1/auth/login"))
            .json(&body),
    )
    .await;
    answer["access_token"]
        .as_str()
        .expect("access_token")
        .to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_users_tokens_from_before_their_sessions_ended_are_refused_by_a_service_reached_directly()
{
    let suite = Suite::start().await;
    let admin = suite.admin_token().await;
    let (old_password, new_password) = ("Courier-2026-spring", "Courier-2026-autumn");
    let body = json!({"username": "wang.fang", "password": old_password, "role": "agent"});
    let created = suite.post(&admin, "/api/v1/users", &body).await;
    assert_eq!(created.status(), 201);
    let user: Value = created.json().await.expect("json");
    let path = format!("/api/v1/users/{}", user["id"].as_str().expect("id"));
    let before = sign_in(&suite, "wang.fang", old_password).await;
    assert_eq!(direct(&suite, &before).await, 200, "the live token works");

    let changed = suite
        .env
        .http
        .patch(suite.url(&path))
        .bearer_auth(&admin)
        .json(&json!({"password": new_password}))
        .send()
        .await
        .expect("sent");
    assert_eq!(changed.status(), 200);
    let after = sign_in(&suite, "wang.fang", new_password).await;
    refused_within_the_bound(
        &suite,
        &before,
        "the token from before refused by shipments",
    )
    .await;
    assert_eq!(
        direct(&suite, &after).await,
        200,
        "the new sign-in's token works"
    );

    revoke(&suite, &admin, &path).await;
    refused_within_the_bound(
        &suite,
        &after,
        "a deactivated user's token refused by shipments",
    )
    .await;
    assert_eq!(direct(&suite, &admin).await, 200, "others go on");
    suite.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_replica_that_did_not_consume_the_revocation_refuses_the_token_after_its_reload() {
    let env = TestEnv::new();
    let db = migrated_database("shipments", kuaidi_shipments::startup::MIGRATIONS);
    let app = kuaidi_shipments::build(env.settings_with(db.clone()))
        .await
        .expect("shipments")
        .spawn();
    let sub = format!("client:{}", Uuid::now_v7());
    let token = merchant_token(&env, sub.clone());
    assert_eq!(status_at(&env, &app.url(), &token).await, 200);
    // What another replica, which consumed `client.revoked`, wrote to the service's database.
    let mut conn = PgConnection::establish(&db).expect("database");
    diesel::sql_query("INSERT INTO revoked_credentials (subject, revoked_at) VALUES ($1, now())")
        .bind::<diesel::sql_types::Text, _>(&sub)
        .execute(&mut conn)
        .expect("revocation recorded");
    eventually(PROPAGATION, "this replica reloads the list", || async {
        (status_at(&env, &app.url(), &token).await == 401).then_some(())
    })
    .await;
    app.stop().await;
}
