//! `POST /api/v1/auth/customer-token`: the app exchanges a verified phone for a customer token.

use kuaidi_shared::auth::{JwtVerifier, Role};
use kuaidi_shared::crypto::PiiCipher;
use kuaidi_shared::testing::{auth_settings, expect_json, service_settings_on};
use serde_json::{json, Value};

use crate::helpers::TestGateway;

const PATH: &str = "/api/v1/auth/customer-token";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_app_gets_a_short_lived_customer_token_carrying_the_services_phone_index() {
    let gw = TestGateway::spawn().await;
    let app = gw.env.token(Role::App, None);

    let resp = gw
        .post(&app, PATH, &json!({"phone": "+86 138-1234-5678"}))
        .await;

    assert_eq!(resp.headers()["cache-control"], "no-store");
    let body = expect_json(resp, 200).await;
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], 900);
    assert!(
        body.get("refresh_token").is_none(),
        "no refresh token for customers"
    );
    let claims = JwtVerifier::new(&auth_settings(&gw.env.key))
        .expect("verifier")
        .verify(body["access_token"].as_str().expect("token"))
        .await
        .expect("the customer token verifies like any other");
    assert_eq!(claims.role, Role::Customer);
    assert!(claims.exp - claims.iat <= 900, "at most 15 minutes");
    // The index a service computes for the same person, with the services' own settings.
    let service = service_settings_on("unused".into(), &gw.env.amqp, &gw.env.key);
    let expected = PiiCipher::new(&service.pii)
        .expect("cipher")
        .blind_index("13812345678");
    assert_eq!(claims.phone_hash.as_deref(), Some(expected.as_str()));
    assert!(
        !claims.sub.contains("13812345678"),
        "the phone never travels"
    );
    gw.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_exchange_is_audited_without_the_phone() {
    let gw = TestGateway::spawn().await;
    let app = gw.env.token(Role::App, None);
    let admin = gw.admin_token().await;

    let issued = gw.post(&app, PATH, &json!({"phone": "13812345678"})).await;

    assert_eq!(issued.status(), 200);
    let page = expect_json(
        gw.get(&admin, "/api/v1/audit-log?action=auth.customer_token")
            .await,
        200,
    )
    .await;
    let rows = page["data"].as_array().cloned().unwrap_or_default();
    assert_eq!(rows.len(), 1, "one audit row: {page}");
    assert_eq!(rows[0]["role"], "app");
    assert_eq!(rows[0]["outcome"], "success");
    assert!(
        !page.to_string().contains("13812345678"),
        "the audit log never holds the phone: {page}"
    );
    gw.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_the_app_may_ask_and_never_without_a_token() {
    let gw = TestGateway::spawn().await;
    let body = json!({"phone": "13812345678"});

    let anonymous = gw.post("", PATH, &body).await;
    assert_eq!(anonymous.status(), 401);
    for role in [
        Role::Admin,
        Role::Agent,
        Role::Merchant,
        Role::Operator,
        Role::Customer,
    ] {
        let token = gw.env.token(role, None);
        let refused = gw.post(&token, PATH, &body).await;
        assert_eq!(
            refused.status(),
            403,
            "{role:?} may not mint customer tokens"
        );
        assert_eq!(
            refused.headers()["content-type"],
            "application/problem+json"
        );
    }
    gw.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_phone_that_is_no_phone_is_a_422_naming_the_field() {
    let gw = TestGateway::spawn().await;
    let app = gw.env.token(Role::App, None);

    for phone in [
        json!({"phone": "12"}),
        json!({"phone": "call me"}),
        json!({}),
    ] {
        let resp = gw.post(&app, PATH, &phone).await;
        assert_eq!(resp.headers()["content-type"], "application/problem+json");
        let problem: Value = expect_json(resp, 422).await;
        assert_eq!(problem["errors"][0]["field"], "phone", "{problem}");
    }
    gw.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_app_is_rate_limited_per_principal_like_any_caller() {
    let gw = TestGateway::spawn_with(kuaidi_shared::testing::TestEnv::new(), |s| {
        s.rate_limits.per_principal = 1; // burst 2
    })
    .await;
    let app = gw.env.token(Role::App, None);
    let first = gw.post(&app, PATH, &json!({"phone": "13812345678"})).await;
    assert_eq!(first.status(), 200);
    assert_eq!(first.headers()["ratelimit-limit"], "2");
    assert_eq!(first.headers()["ratelimit-remaining"], "1");
    assert_eq!(
        gw.post(&app, PATH, &json!({"phone": "13812345678"}))
            .await
            .status(),
        200
    );
    let limited = gw.post(&app, PATH, &json!({"phone": "13812345678"})).await;
    assert_eq!(
        limited.status(),
        429,
        "no unbounded minting of customer tokens"
    );
    assert!(limited.headers().contains_key("retry-after"));
    let admin = gw.env.token(Role::Admin, None);
    let listed = gw.get(&admin, "/api/v1/audit-log").await;
    assert_eq!(listed.status(), 200, "another principal has its own bucket");
    assert!(
        listed.headers().contains_key("ratelimit-remaining"),
        "admin routes are limited too"
    );
    gw.stop().await;
}
