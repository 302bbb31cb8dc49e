//! Single follow-ups and interactions: where `Location` points, `ETag`, `If-None-Match` and
//! `If-Match`.

use kuaidi_shared::auth::Role;
use kuaidi_shared::testing::expect_json;
use reqwest::Response;
use serde_json::json;
use uuid::Uuid;

use crate::helpers::{acme, create, id_of, spawn};

fn header(resp: &Response, name: &str) -> String {
    resp.headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_else(|| panic!("{name} header"))
        .to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_follow_up_is_read_with_its_etag_and_closed_only_with_a_fresh_if_match() {
    let app = spawn().await;
    let admin = app.token(Role::Admin);
    let (owner, successor) = (Uuid::now_v7(), Uuid::now_v7());
    let mut body = acme();
    body["owner_id"] = json!(owner);
    let id = id_of(&create(&app, &body).await);
    let task = json!({"due_at": "2030-01-01T00:00:00Z", "reason": "Quote"});
    let created = app
        .post(&admin, &format!("/api/v1/customers/{id}/follow-ups"), &task)
        .await;
    let path = header(&created, "location");
    let first_tag = header(&created, "etag");
    assert_eq!(expect_json(created, 201).await["version"], 1);

    let read = app.get(&admin, &path).await;
    assert_eq!(header(&read, "etag"), first_tag, "the creation's tag");
    assert_eq!(expect_json(read, 200).await["reason"], "Quote");
    assert_eq!(
        app.revalidate(&admin, &path, &first_tag).await.status(),
        304
    );

    // The owner changes: the task goes along, as a new version.
    let moved = app
        .put(
            &admin,
            &format!("/api/v1/customers/{id}/owner"),
            &json!({"owner_id": successor}),
        )
        .await;
    expect_json(moved, 200).await;
    let read = app.get(&admin, &path).await;
    let fresh_tag = header(&read, "etag");
    let read = expect_json(read, 200).await;
    assert_eq!(read["assignee_id"], successor.to_string());
    assert_eq!(read["version"], 2);
    assert_ne!(fresh_tag, first_tag);
    assert_eq!(
        app.revalidate(&admin, &path, &first_tag).await.status(),
        200
    );

    let close = |tag: &str| {
        app.request(reqwest::Method::PATCH, &path, &admin)
            .header("if-match", tag)
            .json(&json!({"status": "done", "outcome": "accepted"}))
            .send()
    };
    let stale = close(&first_tag).await.expect("sent");
    assert_eq!(stale.status(), 412, "an ETag from before the owner change");
    let closed = close(&fresh_tag).await.expect("sent");
    let closed_tag = header(&closed, "etag");
    let closed = expect_json(closed, 200).await;
    assert_eq!(
        (closed["status"].as_str(), closed["version"].as_i64()),
        (Some("done"), Some(3))
    );
    let read = app.get(&admin, &path).await;
    assert_eq!(
        header(&read, "etag"),
        closed_tag,
        "the PATCH answer's tag is current"
    );

    let unknown = format!("/api/v1/follow-ups/{}", Uuid::now_v7());
    assert_eq!(app.get(&admin, &unknown).await.status(), 404);
    assert_eq!(
        app.get(&app.merchant(Uuid::now_v7()), &path).await.status(),
        403
    );
    app.app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_logged_interaction_is_where_its_location_points_for_whoever_sees_the_timeline() {
    let app = spawn().await;
    let admin = app.token(Role::Admin);
    let merchant = Uuid::now_v7();
    let mut body = acme();
    body["merchant_id"] = json!(merchant);
    let id = id_of(&create(&app, &body).await);
    let other = id_of(&create(&app, &json!({"kind": "individual", "name": "旁人"})).await);
    let call = json!({"channel": "phone", "direction": "in", "kind": "inquiry",
        "summary": "Asked about cold-chain rates"});
    let logged = app
        .post(
            &admin,
            &format!("/api/v1/customers/{id}/interactions"),
            &call,
        )
        .await;
    let (location, tag) = (header(&logged, "location"), header(&logged, "etag"));
    let logged = expect_json(logged, 201).await;
    let entry = logged["id"].as_str().expect("id");
    assert_eq!(
        location,
        format!("/api/v1/customers/{id}/interactions/{entry}")
    );

    let read = app.get(&admin, &location).await;
    assert_eq!(header(&read, "etag"), tag);
    assert_eq!(expect_json(read, 200).await, logged, "what was logged");
    assert_eq!(app.revalidate(&admin, &location, &tag).await.status(), 304);
    assert_eq!(
        app.get(&app.merchant(merchant), &location).await.status(),
        200
    );

    for (who, path, why) in [
        (
            app.merchant(Uuid::now_v7()),
            location.clone(),
            "another tenant",
        ),
        (
            admin.clone(),
            format!("/api/v1/customers/{other}/interactions/{entry}"),
            "another customer's",
        ),
        (
            admin.clone(),
            format!("/api/v1/customers/{id}/interactions/{}", Uuid::now_v7()),
            "unknown",
        ),
        (
            admin.clone(),
            format!("/api/v1/customers/{}/interactions/{entry}", Uuid::now_v7()),
            "no such customer",
        ),
    ] {
        assert_eq!(app.get(&who, &path).await.status(), 404, "{why}");
    }
    app.app.stop().await;
}
