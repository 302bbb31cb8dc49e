//! The edge guard (SPEC §2 "Text input"): text PostgreSQL cannot store and bodies of the wrong
//! JSON type are refused with 422 problem+json naming the field, never a 500.

use kuaidi_shared::auth::Role;
use kuaidi_shared::testing::expect_refused_fields;

use crate::helpers::{acme, spawn};

#[tokio::test]
async fn nul_or_a_lone_surrogate_in_a_body_field_is_refused_naming_the_field() {
    let app = spawn().await;
    let admin = app.token(Role::Admin);
    let mut nul = acme();
    nul["name"] = "Acme\u{0}Trading".into();
    expect_refused_fields(app.post(&admin, "/api/v1/customers", &nul).await, &["name"]).await;

    let raw = acme()
        .to_string()
        .replacen("\"medium\"", r#""med\udc01ium""#, 1);
    expect_refused_fields(
        app.post_raw(&admin, "/api/v1/customers", &raw).await,
        &["size"],
    )
    .await;
}

#[tokio::test]
async fn nul_in_a_query_parameter_is_refused_naming_it() {
    let app = spawn().await;
    let resp = app
        .get(&app.token(Role::Admin), "/api/v1/customers?q=ac%00me")
        .await;
    expect_refused_fields(resp, &["q"]).await;
}

#[tokio::test]
async fn a_body_that_is_not_an_object_is_refused() {
    let app = spawn().await;
    let admin = app.token(Role::Admin);
    for raw in [r#"["business", "Acme"]"#, r#""Acme""#, "42"] {
        let resp = app.post_raw(&admin, "/api/v1/customers", raw).await;
        expect_refused_fields(resp, &["body"]).await;
    }
}
