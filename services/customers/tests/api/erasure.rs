//! Erasure (SPEC §4 "anonymises PII, keeps aggregates"): the file stays readable, anonymised,
//! with its stats; it is out of every list and can no longer be changed (a `409`
//! `customer_erased`, as the file exists); erasing it again changes and announces nothing.

use chrono::{Duration, Utc};
use kuaidi_shared::auth::Role;
use kuaidi_shared::testing::{expect_json, expect_problem, poll_json};
use serde_json::{json, Value};
use std::time::Duration as StdDuration;
use uuid::Uuid;

use crate::helpers::{acme, create, emit, id_of, shipment, spawn};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_erased_customer_reads_anonymised_with_its_aggregates_to_its_own_tenant_only() {
    let app = spawn().await;
    let admin = app.token(Role::Admin);
    let merchant = Uuid::now_v7();
    let mut body = acme();
    body["merchant_id"] = json!(merchant);
    body["tags"] = json!(["vip"]);
    let id = id_of(&create(&app, &body).await);
    let path = format!("/api/v1/customers/{id}");
    let logged = app
        .post(
            &admin,
            &format!("{path}/interactions"),
            &json!({"channel": "phone", "direction": "in", "kind": "inquiry", "summary": "my address is 1 Main St"}),
        )
        .await;
    expect_json(logged, 201).await;
    let yesterday = Utc::now() - Duration::days(1);
    emit(
        &app,
        "shipments",
        id,
        &shipment(id, "23.40", yesterday),
        yesterday,
    )
    .await;
    let before = poll_json(
        StdDuration::from_secs(10),
        "the shipment counted",
        || app.get(&admin, &path),
        // The stage moves on the same event, maybe a moment later: both, or the test races it.
        |c| (c["stats"]["shipments_12m"] == 1 && c["lifecycle_stage"] == "new").then(|| c.clone()),
    )
    .await;
    assert_eq!(before["erased_at"], Value::Null, "not erased yet");

    assert_eq!(app.delete(&admin, &path).await.status(), 204);
    let erased = expect_json(app.get(&admin, &path).await, 200).await;
    assert!(erased["erased_at"].is_string(), "erased_at set: {erased}");
    for (field, anonymised) in [
        ("name", json!("[erased]")),
        ("phones", json!([])),
        ("emails", json!([])),
        ("addresses", json!([])),
        ("company", Value::Null),
        ("tags", json!([])),
    ] {
        assert_eq!(erased[field], anonymised, "{field} anonymised");
    }
    assert_eq!(
        erased["interactions"][0]["summary"], "[erased]",
        "free text anonymised"
    );
    // Its parts read as the file does: anonymised, not gone.
    let timeline = expect_json(app.get(&admin, &format!("{path}/interactions")).await, 200).await;
    assert_eq!(timeline["data"][0]["summary"], "[erased]", "{timeline}");
    let entry = timeline["data"][0]["id"].as_str().expect("id");
    let entry = app
        .get(&admin, &format!("{path}/interactions/{entry}"))
        .await;
    assert_eq!(expect_json(entry, 200).await["summary"], "[erased]");
    for part in ["follow-ups", "consents"] {
        let read = app.get(&admin, &format!("{path}/{part}")).await;
        assert_eq!(read.status(), 200, "{part}");
    }
    for kept in [
        "stats",
        "value_tier",
        "lifecycle_stage",
        "merchant_id",
        "created_at",
    ] {
        assert_eq!(erased[kept], before[kept], "{kept} kept");
    }
    assert_eq!(erased["stats"]["spend_12m"]["amount"], "23.40");

    assert_eq!(app.get(&app.merchant(merchant), &path).await.status(), 200);
    assert_eq!(
        app.get(&app.merchant(Uuid::now_v7()), &path).await.status(),
        404,
        "another merchant's customer, erased or not"
    );
    for list in [
        "/api/v1/customers",
        "/api/v1/customers?q=erased",
        "/api/v1/customers?tag=vip",
        "/api/v1/customers/duplicates",
    ] {
        let page = expect_json(app.get(&admin, list).await, 200).await;
        assert_eq!(page["data"], json!([]), "{list} leaves the erased file out");
    }
    let mine = expect_json(
        app.get(&app.merchant(merchant), "/api/v1/customers").await,
        200,
    )
    .await;
    assert_eq!(mine["data"], json!([]), "also out of its merchant's list");
    app.app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn erasing_again_is_a_204_that_announces_nothing() {
    let app = spawn().await;
    let admin = app.token(Role::Admin);
    let first = id_of(&create(&app, &acme()).await);
    let second = id_of(&create(&app, &json!({"kind": "individual", "name": "Li"})).await);
    let path = format!("/api/v1/customers/{first}");
    let tap = app.env.tap().await;
    assert_eq!(app.delete(&admin, &path).await.status(), 204);
    let event = tap
        .next_of_type("customer.erased", StdDuration::from_secs(10))
        .await;
    assert_eq!(event.data["customer_id"], first.to_string());
    let erased = expect_json(app.get(&admin, &path).await, 200).await;

    let tap = app.env.tap().await;
    assert_eq!(
        app.delete(&admin, &path).await.status(),
        204,
        "a second erasure"
    );
    assert_eq!(
        expect_json(app.get(&admin, &path).await, 200).await,
        erased,
        "a second erasure changes nothing"
    );
    let other = format!("/api/v1/customers/{second}");
    assert_eq!(app.delete(&admin, &other).await.status(), 204);
    // The relay publishes in outbox order: a second event about `first` would come first.
    let event = tap
        .next_of_type("customer.erased", StdDuration::from_secs(10))
        .await;
    assert_eq!(
        event.data["customer_id"],
        second.to_string(),
        "no second customer.erased for the file erased twice"
    );
    app.app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_erased_customer_can_no_longer_be_changed() {
    let app = spawn().await;
    let admin = app.token(Role::Admin);
    let gone = id_of(&create(&app, &acme()).await);
    let live = id_of(&create(&app, &json!({"kind": "individual", "name": "Li"})).await);
    let path = format!("/api/v1/customers/{gone}");
    assert_eq!(app.delete(&admin, &path).await.status(), 204);
    let erased = expect_json(app.get(&admin, &path).await, 200).await;

    let task =
        json!({"due_at": "2030-01-01T00:00:00Z", "reason": "call", "assignee_id": Uuid::now_v7()});
    let note = json!({"channel": "phone", "direction": "in", "kind": "inquiry", "summary": "hi"});
    let (consents, owner) = (format!("{path}/consents"), format!("{path}/owner"));
    let merge = |into: Uuid| format!("/api/v1/customers/{into}/merge");
    // The file reads (above), so a change is refused as a conflict with its state, not as a
    // file that does not exist.
    let refusals = [
        (
            app.patch(&admin, &path, &json!({"name": "Back"})).await,
            "PATCH",
        ),
        (
            app.put(&admin, &consents, &json!({"marketing": true}))
                .await,
            "consents",
        ),
        (
            app.put(&admin, &owner, &json!({"owner_id": Uuid::now_v7()}))
                .await,
            "owner",
        ),
        (
            app.post(&admin, &format!("{path}/interactions"), &note)
                .await,
            "interaction",
        ),
        (
            app.post(&admin, &format!("{path}/follow-ups"), &task).await,
            "follow-up",
        ),
        (
            app.post(&admin, &merge(gone), &json!({"duplicate_id": live}))
                .await,
            "merge into it",
        ),
        (
            app.post(&admin, &merge(live), &json!({"duplicate_id": gone}))
                .await,
            "merge it away",
        ),
    ];
    for (response, what) in refusals {
        let problem = expect_problem(response, 409).await;
        assert_eq!(
            problem["type"], "https://kuaidi.dev/problems/customer_erased",
            "{what} on an erased customer: {problem}"
        );
        let detail = problem["detail"].as_str().unwrap_or_default();
        assert!(detail.contains("erased"), "{what}: says why: {problem}");
    }
    assert_eq!(
        expect_json(app.get(&admin, &path).await, 200).await,
        erased,
        "nothing changed"
    );
    app.app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn erasure_follows_the_write_rights_and_later_writes_are_refused_as_erased() {
    let app = spawn().await;
    let admin = app.token(Role::Admin);
    let (owner, other) = (Uuid::now_v7(), Uuid::now_v7());
    let mut body = acme();
    body["owner_id"] = json!(owner);
    let id = id_of(&create(&app, &body).await);
    let unowned = id_of(&create(&app, &json!({"kind": "individual", "name": "Li"})).await);
    let path = format!("/api/v1/customers/{id}");
    let token = |sub| kuaidi_shared::testing::user_token(&app.env.key, Role::Agent, sub);
    // Erasing is a write (SPEC §3): an agent erases their own and unowned customers only.
    assert_eq!(app.delete(&token(other), &path).await.status(), 403);
    let unowned_path = format!("/api/v1/customers/{unowned}");
    assert_eq!(app.delete(&token(other), &unowned_path).await.status(), 204);
    assert_eq!(app.delete(&token(owner), &path).await.status(), 204);
    let edit = json!({"name": "Back"});

    let theirs = expect_problem(app.patch(&token(owner), &path, &edit).await, 409).await;
    assert_eq!(theirs["code"], "customer_erased", "{theirs}");
    let stranger = app.patch(&token(other), &path, &edit).await;
    assert_eq!(
        stranger.status(),
        403,
        "another agent's customer, erased or not"
    );
    let nowhere = format!("/api/v1/customers/{}", Uuid::now_v7());
    let elsewhere = app.patch(&admin, &nowhere, &edit).await;
    assert_eq!(elsewhere.status(), 404, "no such file");
    app.app.stop().await;
}
