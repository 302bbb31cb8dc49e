//! The edge guard (SPEC §2 "Text input"): text PostgreSQL cannot store and bodies of the wrong
//! JSON type are refused with 422 problem+json naming the field, never a 500.

use kuaidi_shared::auth::Role;
use kuaidi_shared::testing::expect_refused_fields;

use crate::helpers::{complaint, Desk};

#[tokio::test]
async fn nul_in_a_description_is_refused_naming_the_field() {
    let desk = Desk::spawn().await;
    let mut body = complaint("delay");
    body["description"] = "late\u{0}".into();
    let resp = desk
        .post(&desk.token(Role::Admin), "/api/v1/complaints", &body)
        .await;
    expect_refused_fields(resp, &["description"]).await;
}

#[tokio::test]
async fn a_complaint_that_is_not_an_object_is_refused() {
    let desk = Desk::spawn().await;
    let resp = desk
        .post_raw(
            &desk.token(Role::Admin),
            "/api/v1/complaints",
            r#"["complaint"]"#,
        )
        .await;
    expect_refused_fields(resp, &["body"]).await;
}
