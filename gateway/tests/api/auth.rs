//! Staff login, tokens and keys.

use kuaidi_shared::auth::{JwtVerifier, Role};
use kuaidi_shared::settings::AuthSettings;
use kuaidi_shared::testing::{body_json, send_json, TestEnv};
use serde_json::Value;

use crate::helpers::{admin_token, login, settings, spawn, TestGateway, ADMIN_PASSWORD};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn login_issues_an_eddsa_token_that_services_verify_through_the_jwks() {
    let gw = TestGateway::spawn().await;
    let env = &gw.env;

    let resp = login(&env.http, &gw.app.url(), "admin", ADMIN_PASSWORD).await;

    assert_eq!(resp.status(), 200);
    assert_eq!(resp.headers()["cache-control"], "no-store");
    let body: Value = resp.json().await.expect("json");
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], 900);
    assert!(body["refresh_token"]
        .as_str()
        .is_some_and(|t| t.len() >= 40));
    let verifier = JwtVerifier::new(&AuthSettings {
        issuer: "kuaidi-gateway".into(),
        audience: "kuaidi".into(),
        jwks_url: Some(gw.url("/.well-known/jwks.json")),
        public_keys: vec![],
    })
    .expect("verifier");
    let claims = verifier
        .verify(body["access_token"].as_str().expect("token"))
        .await
        .expect("the token verifies against the published JWKS");
    assert_eq!(claims.role, Role::Admin);
    assert!(claims.exp - claims.iat == 900);
    let jwks = send_json(env.http.get(gw.url("/.well-known/jwks.json"))).await;
    assert_eq!(jwks["keys"][0]["kty"], "OKP");
    assert_eq!(jwks["keys"][0]["alg"], "EdDSA");
    assert!(
        jwks["keys"][0].get("d").is_none(),
        "the private key must never be published"
    );
    gw.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_passwords_and_unknown_users_get_the_same_401_and_five_failures_lock_the_account() {
    let gw = TestGateway::spawn().await;
    let env = &gw.env;

    let unknown = login(&env.http, &gw.app.url(), "nobody", "whatever").await;
    assert_eq!(unknown.status(), 401);
    assert_eq!(
        unknown.headers()["content-type"],
        "application/problem+json"
    );
    let unknown: Value = unknown.json().await.expect("json");
    let wrong = body_json(login(&env.http, &gw.app.url(), "admin", "wrong").await).await;
    assert_eq!(
        unknown["detail"], wrong["detail"],
        "no hint which usernames exist"
    );

    for _ in 0..4 {
        assert_eq!(
            login(&env.http, &gw.app.url(), "admin", "wrong")
                .await
                .status(),
            401
        );
    }
    assert_eq!(
        login(&env.http, &gw.app.url(), "admin", ADMIN_PASSWORD)
            .await
            .status(),
        401,
        "after 5 failures the account is locked even for the right password"
    );
    let missing = env
        .http
        .post(gw.url("/api/v1/auth/login"))
        .json(&serde_json::json!({"username": "admin"}))
        .send()
        .await
        .expect("sent");
    assert_eq!(missing.status(), 422);
    gw.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_first_admin_is_created_once_and_a_development_key_is_shared_by_replicas() {
    let env = TestEnv::new();
    let mut first = settings(&env);
    first.jwt.signing_key = None;
    first.jwt.signing_kid = None;
    let mut second = first.clone();
    second.bootstrap_admin_password = Some("another-password".to_owned().into());

    let a = spawn(first).await;
    let b = spawn(second).await;

    assert_eq!(
        login(&env.http, &b.url(), "admin", ADMIN_PASSWORD)
            .await
            .status(),
        200
    );
    assert_eq!(
        login(&env.http, &b.url(), "admin", "another-password")
            .await
            .status(),
        401
    );
    let kid = |url: String| {
        let http = env.http.clone();
        async move {
            let jwks = send_json(http.get(format!("{url}/.well-known/jwks.json"))).await;
            jwks["keys"][0]["kid"].clone()
        }
    };
    assert_eq!(
        kid(a.url()).await,
        kid(b.url()).await,
        "replicas sign with one key"
    );
    let signed_at_a = admin_token(&env.http, &a.url()).await;
    let read_at_b = env
        .http
        .get(format!("{}/api/v1/users", b.url()))
        .bearer_auth(&signed_at_a)
        .send()
        .await
        .expect("sent");
    assert_eq!(
        read_at_b.status(),
        200,
        "a token signed by one replica is honoured by the other"
    );
    a.stop().await;
    b.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_a_key_rotation_tokens_of_the_previous_key_still_verify_until_they_expire() {
    let env = TestEnv::new();
    let old_token = kuaidi_shared::testing::token(&env.key, Role::Analyst, None);
    let new_key = kuaidi_shared::auth::SigningKey::generate();
    let mut s = settings(&env);
    s.jwt.signing_key = Some(new_key.seed_b64().into());
    s.jwt.signing_kid = Some(new_key.kid.clone());
    s.jwt.previous_keys = vec![kuaidi_shared::settings::StaticKey {
        kid: env.key.kid.clone(),
        x: env.key.public_x(),
    }];
    let gw = spawn(s).await;

    let jwks = send_json(env.http.get(format!("{}/.well-known/jwks.json", gw.url()))).await;
    let kids = kuaidi_shared::testing::strings(&jwks["keys"], "kid");
    assert_eq!(
        kids,
        vec![new_key.kid.as_str(), env.key.kid.as_str()],
        "new key first, old key still published"
    );
    let fresh = body_json(login(&env.http, &gw.url(), "admin", ADMIN_PASSWORD).await).await;
    let header = fresh["access_token"]
        .as_str()
        .expect("token")
        .split('.')
        .next()
        .expect("header")
        .to_owned();
    use base64::Engine;
    let header: Value = serde_json::from_slice(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(header)
            .expect("b64"),
    )
    .expect("json");
    assert_eq!(
        header["kid"],
        new_key.kid.as_str(),
        "new tokens are signed with the new key"
    );

    // The old token passes authentication (the unreachable service then answers 502, not 401).
    let resp = env
        .http
        .get(format!("{}/api/v1/analytics/kpis", gw.url()))
        .bearer_auth(&old_token)
        .send()
        .await
        .expect("sent");
    assert_eq!(resp.status(), 502);
    gw.stop().await;
}
