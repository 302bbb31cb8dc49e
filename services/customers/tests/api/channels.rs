//! The customer's preferred contact channel travels with `customer.created` and every
//! `customer.updated` (a merge's too), so the shipments service sends its notifications where
//! the customer wants them (SPEC §5 "Proactive notifications").

use kuaidi_shared::auth::Role;
use kuaidi_shared::testing::expect_json;
use serde_json::{json, Value};
use std::time::Duration;

use crate::helpers::{acme, create, id_of, spawn};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn created_and_updated_events_carry_the_current_contact_channel() {
    let app = spawn().await;
    let admin = app.token(Role::Admin);
    let tap = app.env.tap().await;
    let mut body = acme();
    body["preferences"] = json!({"contact_channel": "email"});
    let id = id_of(&create(&app, &body).await);
    let created = tap
        .next_of_type("customer.created", Duration::from_secs(10))
        .await;
    assert_eq!(created.data["contact_channel"], "email");

    let path = format!("/api/v1/customers/{id}");
    let prefer_app = json!({"preferences": {"contact_channel": "app"}});
    let edited = expect_json(app.patch(&admin, &path, &prefer_app).await, 200).await;
    let updated = tap
        .next_of_type("customer.updated", Duration::from_secs(10))
        .await;
    assert_eq!(updated.data["contact_channel"], "app");
    assert_eq!(updated.data["version"], edited["version"]);

    let no_channel = json!({"preferences": {"packaging": "box"}});
    expect_json(app.patch(&admin, &path, &no_channel).await, 200).await;
    let cleared = tap
        .next_of_type("customer.updated", Duration::from_secs(10))
        .await;
    assert_eq!(
        cleared.data["contact_channel"],
        Value::Null,
        "none any more"
    );
    // An edit of anything else still tells the channel as of its version.
    expect_json(app.patch(&admin, &path, &prefer_app).await, 200).await;
    tap.next_of_type("customer.updated", Duration::from_secs(10))
        .await;
    expect_json(
        app.patch(&admin, &path, &json!({"tags": ["vip"]})).await,
        200,
    )
    .await;
    let tagged = tap
        .next_of_type("customer.updated", Duration::from_secs(10))
        .await;
    assert_eq!(tagged.data["changed"], json!(["tags"]));
    assert_eq!(tagged.data["contact_channel"], "app");
    app.app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_merge_announces_the_survivors_new_version_with_the_preferred_channel() {
    let app = spawn().await;
    let admin = app.token(Role::Admin);
    let survivor = id_of(&create(&app, &acme()).await);
    let mut dup = acme();
    dup["preferences"] = json!({"contact_channel": "wechat"});
    let duplicate = id_of(&create(&app, &dup).await);
    let tap = app.env.tap().await;

    let body = json!({"duplicate_id": duplicate, "prefer": {"preferences": "duplicate"}});
    let merged = expect_json(
        app.post(
            &admin,
            &format!("/api/v1/customers/{survivor}/merge"),
            &body,
        )
        .await,
        200,
    )
    .await;

    let updated = tap
        .next_of_type("customer.updated", Duration::from_secs(10))
        .await;
    assert_eq!(updated.data["customer_id"], json!(survivor));
    assert_eq!(updated.data["changed"], json!(["merged"]));
    assert_eq!(updated.data["version"], merged["customer"]["version"]);
    assert_eq!(
        updated.data["contact_channel"], "wechat",
        "the duplicate's preferences, as `prefer` asked"
    );
    assert_eq!(
        updated.data["phone_hashes"].as_array().map(Vec::len),
        Some(1),
        "one phone both held"
    );
    app.app.stop().await;
}
