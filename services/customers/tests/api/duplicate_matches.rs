//! The `409 duplicate_customer` of a creation and of an edit: one match per customer, its
//! `matched_on` an array as in the duplicates list; `allow_duplicate=true` on both.

use kuaidi_shared::auth::Role;
use kuaidi_shared::testing::{expect_json, expect_problem, TestApp};
use serde_json::{json, Value};
use std::collections::BTreeSet;
use uuid::Uuid;

use crate::helpers::{create, id_of, spawn};

/// `{customer_id, matched_on}` of `customer`, as a `409` names it.
fn matched(customer: &Value, on: &[&str]) -> Value {
    json!({"customer_id": customer["id"], "matched_on": on})
}

/// An individual's file (duplicates allowed) holding `phones` and `emails`.
async fn file(app: &TestApp, name: &str, phones: &[&str], emails: &[&str]) -> Value {
    let body = json!({"kind": "individual", "name": name, "phones": phones, "emails": emails});
    create(app, &body).await
}

/// The matches in customer id order (UUID v7 text sorts as the ids do).
fn by_id(mut matches: Vec<Value>) -> Vec<Value> {
    matches.sort_by_key(|m| m["customer_id"].as_str().map(str::to_owned));
    matches
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_409_names_each_matching_customer_once_with_every_kind_it_matched_on() {
    let app = spawn().await;
    let both = file(&app, "张伟", &["13811112222"], &["zw@example.com"]).await;
    let phone_only = file(&app, "刘洋", &["13833334444"], &[]).await;

    let newcomer = json!({"kind": "individual", "name": "新客",
        "phones": ["13811112222", "13833334444"], "emails": ["ZW@example.com"]});
    let admin = app.token(Role::Admin);
    let refused = app.post(&admin, "/api/v1/customers", &newcomer).await;
    let problem = expect_problem(refused, 409).await;
    assert_eq!(problem["code"], "duplicate_customer");
    assert_eq!(
        problem["matches"],
        json!(by_id(vec![
            matched(&both, &["email", "phone"]),
            matched(&phone_only, &["phone"]),
        ])),
        "one entry per customer, the kinds merged and sorted: {problem}"
    );

    let created = app
        .post(&admin, "/api/v1/customers?allow_duplicate=true", &newcomer)
        .await;
    let newcomer = expect_json(created, 201).await;
    let pairs = app.get(&admin, "/api/v1/customers/duplicates").await;
    let listed = expect_json(pairs, 200).await["data"].clone();
    let with_newcomer: Vec<&Value> = listed
        .as_array()
        .expect("data")
        .iter()
        .filter(|p| p["customer_id"] == both["id"] && p["duplicate_id"] == newcomer["id"])
        .collect();
    assert_eq!(
        with_newcomer.first().map(|p| &p["matched_on"]),
        Some(&json!(["email", "phone"])),
        "the list answers the same shape: {listed}"
    );
    app.app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_edit_taking_another_customers_phone_is_a_409_unless_duplicates_are_allowed() {
    let app = spawn().await;
    let holder = file(&app, "赵敏", &["13855556666"], &[]).await;
    let editor = file(&app, "周芷若", &["13877778888"], &[]).await;
    let admin = app.token(Role::Admin);
    let path = format!("/api/v1/customers/{}", id_of(&editor));
    let edit = json!({"phones": ["13877778888", "13855556666"]});

    let refused = app.patch(&admin, &path, &edit).await;
    let problem = expect_problem(refused, 409).await;
    assert_eq!(problem["code"], "duplicate_customer");
    assert_eq!(
        problem["matches"],
        json!([matched(&holder, &["phone"])]),
        "{problem}"
    );
    let unchanged = expect_json(app.get(&admin, &path).await, 200).await;
    assert_eq!(unchanged["phones"], json!(["13877778888"]), "nothing saved");

    let allowed = app
        .patch(&admin, &format!("{path}?allow_duplicate=true"), &edit)
        .await;
    let edited = expect_json(allowed, 200).await;
    assert_eq!(edited["phones"], json!(["13877778888", "13855556666"]));
    assert_eq!(edited["version"], 2);
    let found = app.get(&admin, "/api/v1/customers?q=13855556666").await;
    let found = expect_json(found, 200).await;
    let holders: BTreeSet<Uuid> = found["data"]
        .as_array()
        .expect("data")
        .iter()
        .map(id_of)
        .collect();
    assert_eq!(
        holders,
        BTreeSet::from([id_of(&holder), id_of(&editor)]),
        "both files hold the phone"
    );

    let renamed = format!("{path}?allow_duplicate=false");
    let explicit = app
        .patch(&admin, &renamed, &json!({"name": "周 芷若"}))
        .await;
    assert_eq!(
        explicit.status(),
        200,
        "an edit that adds no identity is not refused for those it already shares"
    );
    app.app.stop().await;
}
