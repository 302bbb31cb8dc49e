//! A merge's dry run: the very answer of the merge, and nothing written.

use chrono::{Duration, Utc};
use kuaidi_shared::auth::Role;
use kuaidi_shared::testing::{expect_json, poll_json};
use serde_json::{json, Value};
use std::time::Duration as StdDuration;
use uuid::Uuid;

use crate::helpers::{acme, create, emit, id_of, shipment, spawn};

/// A merge's answer without what must differ between two merges of the same pair at two
/// instants: the merge's id and time, and the update time.
fn comparable(answer: &Value) -> Value {
    let mut c = answer["customer"].clone();
    c["updated_at"] = Value::Null;
    for m in c["merges"].as_array_mut().into_iter().flatten() {
        (m["merge_id"], m["merged_at"]) = (Value::Null, Value::Null);
    }
    c
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dry_run_answers_what_the_merge_answers_and_writes_nothing() {
    let app = spawn().await;
    let admin = app.token(Role::Admin);
    let s = id_of(&create(&app, &acme()).await);
    let d = id_of(&create(&app, &json!({"kind": "business", "name": "ACME Trading Ltd", "phones": ["13812345678", "13800000002"], "tags": ["import"]})).await);
    let (s_path, d_path) = (
        format!("/api/v1/customers/{s}"),
        format!("/api/v1/customers/{d}"),
    );
    // The duplicate brings an interaction, an open follow-up and a shipment; the survivor has a
    // shipment of its own.
    let logged = app
        .post(
            &admin,
            &format!("{d_path}/interactions"),
            &json!({"channel": "phone", "direction": "in", "kind": "inquiry", "summary": "rates?"}),
        )
        .await;
    expect_json(logged, 201).await;
    let task = json!({"due_at": "2030-01-01T00:00:00Z", "reason": "send the quote", "assignee_id": Uuid::now_v7()});
    expect_json(
        app.post(&admin, &format!("{d_path}/follow-ups"), &task)
            .await,
        201,
    )
    .await;
    let yesterday = Utc::now() - Duration::days(1);
    emit(
        &app,
        "shipments",
        s,
        &shipment(s, "10.00", yesterday),
        yesterday,
    )
    .await;
    emit(
        &app,
        "shipments",
        d,
        &shipment(d, "23.40", yesterday),
        yesterday,
    )
    .await;
    for path in [&s_path, &d_path] {
        poll_json(
            StdDuration::from_secs(10),
            "the shipment counted",
            || app.get(&admin, path),
            |c| (c["stats"]["shipments_12m"] == 1).then_some(()),
        )
        .await;
    }
    let before = (
        expect_json(app.get(&admin, &s_path).await, 200).await,
        expect_json(app.get(&admin, &d_path).await, 200).await,
    );
    let tap = app.env.tap().await;

    let body = json!({"duplicate_id": d, "prefer": {"name": "duplicate"}});
    let dry = expect_json(
        app.post(&admin, &format!("{s_path}/merge?dry_run=true"), &body)
            .await,
        200,
    )
    .await;
    let merged = dry["customer"].clone();
    assert_eq!(merged["name"], "ACME Trading Ltd");
    assert_eq!(
        merged["interactions"][0]["summary"], "rates?",
        "the duplicate's interactions with the survivor: {merged}"
    );
    assert_eq!(
        merged["follow_ups"][0]["reason"], "send the quote",
        "the duplicate's follow-ups with the survivor: {merged}"
    );
    assert_eq!(merged["stats"]["shipments_12m"], 2, "both files' shipments");
    assert_eq!(merged["stats"]["spend_12m"]["amount"], "33.40");
    assert_eq!(
        (&dry["merge_id"], &dry["dry_run"]),
        (&Value::Null, &json!(true))
    );

    let after = (
        expect_json(app.get(&admin, &s_path).await, 200).await,
        expect_json(app.get(&admin, &d_path).await, 200).await,
    );
    assert_eq!(after.0, before.0, "the survivor is as it was");
    assert_eq!(
        after.1, before.1,
        "the duplicate is as it was, its interactions and follow-ups with it"
    );

    let real = expect_json(
        app.post(&admin, &format!("{s_path}/merge"), &body).await,
        200,
    )
    .await;
    assert_eq!(
        comparable(&dry),
        comparable(&real),
        "the dry run answered what the merge answers"
    );
    assert_eq!(
        (&dry["survivor_id"], &dry["duplicate_id"]),
        (&real["survivor_id"], &real["duplicate_id"])
    );
    // The relay publishes in outbox order: had the dry run left its event, it would come first.
    let event = tap
        .next_of_type("customer.merged", StdDuration::from_secs(10))
        .await;
    assert_eq!(
        event.data["merge_id"], real["merge_id"],
        "the first customer.merged is the real merge's"
    );
    app.app.stop().await;
}
