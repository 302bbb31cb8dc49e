//! The edge guard on the gateway's own routes (SPEC §2 "Text input"): unstorable text and bodies
//! of the wrong JSON type are 422 problem+json naming the field, never a 500 or a success.

use kuaidi_shared::testing::expect_refused_fields;
use serde_json::json;

use crate::helpers::{admin_token, TestGateway};

fn raw_post(
    gw: &TestGateway,
    path: &str,
    token: &str,
    content_type: &str,
    body: &str,
) -> reqwest::RequestBuilder {
    gw.request(reqwest::Method::POST, path, token)
        .header("content-type", content_type)
        .body(body.to_owned())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nul_in_a_username_or_an_api_key_name_is_refused_naming_the_field() {
    let gw = TestGateway::spawn().await;
    let login = json!({"username": "ad\u{0}min", "password": "x"});
    expect_refused_fields(
        gw.post("", "/api/v1/auth/login", &login).await,
        &["username"],
    )
    .await;

    let admin = admin_token(&gw.env.http, &gw.app.url()).await;
    let key = r#"{"name": "shop \ud800", "merchant_id": "0192f5e0-0000-7000-8000-000000000001"}"#;
    let resp = raw_post(&gw, "/api/v1/api-keys", &admin, "application/json", key)
        .send()
        .await
        .expect("sent");
    expect_refused_fields(resp, &["name"]).await;

    let form = "grant_type=client_credentials&client_id=a%00b&client_secret=s";
    let resp = raw_post(
        &gw,
        "/api/v1/auth/token",
        "",
        "application/x-www-form-urlencoded",
        form,
    )
    .send()
    .await
    .expect("sent");
    expect_refused_fields(resp, &["client_id"]).await;
    gw.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_logout_body_that_is_an_array_is_refused() {
    let gw = TestGateway::spawn().await;
    let resp = raw_post(
        &gw,
        "/api/v1/auth/logout",
        "",
        "application/json",
        r#"[""]"#,
    )
    .send()
    .await
    .expect("sent");
    expect_refused_fields(resp, &["body"]).await;
    gw.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn query_text_that_is_no_utf8_once_decoded_is_refused_naming_the_parameter() {
    let gw = TestGateway::spawn().await;
    let admin = admin_token(&gw.env.http, &gw.app.url()).await;
    // An unpaired surrogate written as UTF-8, and a byte no UTF-8 text holds: on a proxied
    // read (refused at the edge, before the service), and on one of the gateway's own.
    for (path, field) in [
        ("/api/v1/customers?q=%ED%A0%80", "q"),
        ("/api/v1/customers?limit=5&q=%FF", "q"),
        ("/api/v1/users?role=%FF", "role"),
    ] {
        let resp = gw.get(&admin, path).await;
        expect_refused_fields(resp, &[field]).await;
    }
    let fine = gw.get(&admin, "/api/v1/users?role=%61gent").await;
    assert_eq!(fine.status(), 200, "an escape of text is text");
    gw.stop().await;
}
