//! `/api/v1/improvement-actions`: complaints become fixes with an owner and a deadline.

use kuaidi_shared::auth::Role;
use serde_json::json;
use uuid::Uuid;

use crate::helpers::{complaint, json_of, refused_fields, Desk};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_improvement_action_is_created_linked_to_cases_listed_and_followed_up() {
    let t = Desk::spawn().await;
    let case = t.created(&t.admin(), &complaint("damaged")).await;
    let owner = Uuid::now_v7();
    let body = json!({"root_cause": "packaging_sorting", "goal": "halve damage at SHA01",
        "method": "new padding", "owner_id": owner, "due_at": "2027-01-31T00:00:00Z",
        "metric": "damage_rate", "baseline": "0.8%", "complaint_ids": [case["id"]]});

    let resp = t
        .post(
            &t.token(Role::Manager),
            "/api/v1/improvement-actions",
            &body,
        )
        .await;
    let location = resp.headers()["location"]
        .to_str()
        .expect("location")
        .to_owned();
    let created = json_of(resp, 201).await;
    assert_eq!(created["status"], "planned");
    assert_eq!(created["complaint_ids"], json!([case["id"]]));
    assert_eq!(created["owner_id"], owner.to_string());
    t.post(
        &t.admin(),
        "/api/v1/improvement-actions",
        &json!({"root_cause": "training", "goal": "courtesy"}),
    )
    .await;

    let patched = json_of(
        t.patch(
            &t.admin(),
            &location,
            &json!({"status": "done", "result": "0.3%"}),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(
        (patched["status"].clone(), patched["result"].clone()),
        (json!("done"), json!("0.3%"))
    );
    assert_eq!(
        patched["goal"], "halve damage at SHA01",
        "fields not given stay"
    );
    let listed = json_of(
        t.get(
            &t.token(Role::Analyst),
            "/api/v1/improvement-actions?root_cause=packaging_sorting&status=done",
        )
        .await,
        200,
    )
    .await;
    assert_eq!(listed["data"].as_array().expect("data").len(), 1);
    let none = json_of(
        t.get(
            &t.admin(),
            "/api/v1/improvement-actions?status=planned&root_cause=packaging_sorting",
        )
        .await,
        200,
    )
    .await;
    assert_eq!(none["data"], json!([]));
    let read = json_of(t.get(&t.admin(), &location).await, 200).await;
    assert_eq!(read["version"], 2);
    t.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_improvement_actions_are_422_and_stale_patches_412() {
    let t = Desk::spawn().await;
    let bad = json!({"root_cause": "fate", "status": "someday", "complaint_ids": [Uuid::now_v7()]});
    assert_eq!(
        refused_fields(
            t.post(&t.admin(), "/api/v1/improvement-actions", &bad)
                .await
        )
        .await,
        vec!["root_cause", "goal", "status"]
    );
    let unknown_case =
        json!({"root_cause": "training", "goal": "g", "complaint_ids": [Uuid::now_v7()]});
    assert_eq!(
        refused_fields(
            t.post(&t.admin(), "/api/v1/improvement-actions", &unknown_case)
                .await
        )
        .await,
        vec!["complaint_ids"]
    );
    let (_, path) = created(&t, &json!({"root_cause": "training", "goal": "g"})).await;

    let stale = t
        .request(reqwest::Method::PATCH, &path, &t.admin())
        .header("if-match", "7")
        .json(&json!({"status": "done"}))
        .send()
        .await
        .expect("sent");
    assert_eq!(stale.status(), 412);
    assert_eq!(
        t.post(
            &t.token(Role::Merchant),
            "/api/v1/improvement-actions",
            &json!({})
        )
        .await
        .status(),
        403
    );
    t.stop().await;
}

/// The `ETag` header of `resp`.
/// An improvement action created by the admin from `body`: the answer and its path.
async fn created(t: &Desk, body: &serde_json::Value) -> (serde_json::Value, String) {
    let created = json_of(
        t.post(&t.admin(), "/api/v1/improvement-actions", body)
            .await,
        201,
    )
    .await;
    let path = format!(
        "/api/v1/improvement-actions/{}",
        created["id"].as_str().expect("id")
    );
    (created, path)
}

fn etag_of(resp: &reqwest::Response) -> String {
    resp.headers()
        .get("etag")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_else(|| panic!("an ETag on {} {}", resp.status(), resp.url()))
        .to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_changed_action_answers_with_the_etag_a_get_then_gives() {
    let t = Desk::spawn().await;
    let created = t
        .post(
            &t.admin(),
            "/api/v1/improvement-actions",
            &json!({"root_cause": "training", "goal": "courtesy"}),
        )
        .await;
    let at_creation = etag_of(&created);
    let id = json_of(created, 201).await["id"].clone();
    let path = format!("/api/v1/improvement-actions/{}", id.as_str().expect("id"));
    assert_eq!(etag_of(&t.get(&t.admin(), &path).await), at_creation);

    let patched = t
        .request(reqwest::Method::PATCH, &path, &t.admin())
        .header("if-match", &at_creation)
        .json(&json!({"status": "in_progress"}))
        .send()
        .await
        .expect("sent");
    let after_patch = etag_of(&patched);
    assert_eq!(json_of(patched, 200).await["version"], 2);

    assert_ne!(after_patch, at_creation, "a new version, a new tag");
    let read = t.get(&t.admin(), &path).await;
    assert_eq!(
        etag_of(&read),
        after_patch,
        "the tag a GET right after gives"
    );
    assert_eq!(
        t.revalidate(&t.admin(), &path, &after_patch).await.status(),
        304
    );
    assert_eq!(
        t.revalidate(&t.admin(), &path, &at_creation).await.status(),
        200,
        "the old tag names an old version"
    );
    t.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_baseline_or_result_comes_back_as_given_a_number_or_words() {
    let t = Desk::spawn().await;
    let body = json!({"root_cause": "packaging_sorting", "goal": "halve damage",
        "metric": "damage_rate", "baseline": 0.05, "result": "not measured yet"});

    let (created, path) = created(&t, &body).await;
    let patched = json_of(
        t.patch(&t.admin(), &path, &json!({"result": 12})).await,
        200,
    )
    .await;

    assert_eq!(
        (created["baseline"].clone(), created["result"].clone()),
        (json!(0.05), json!("not measured yet"))
    );
    assert_eq!(
        (patched["baseline"].clone(), patched["result"].clone()),
        (json!(0.05), json!(12)),
        "a number stays a number"
    );
    let read = json_of(t.get(&t.admin(), &path).await, 200).await;
    assert_eq!(read, patched, "stored as given");
    let listed = json_of(t.get(&t.admin(), "/api/v1/improvement-actions").await, 200).await;
    assert_eq!(listed["data"][0]["baseline"], json!(0.05));
    let words = json_of(
        t.patch(&t.admin(), &path, &json!({"baseline": "5%"})).await,
        200,
    )
    .await;
    assert_eq!(words["baseline"], "5%", "words stay words");
    assert_eq!(
        refused_fields(
            t.patch(
                &t.admin(),
                &path,
                &json!({"metric": 3, "baseline": true, "result": [1]})
            )
            .await
        )
        .await,
        vec!["metric", "baseline", "result"],
        "a metric is a name; a measurement a number or words"
    );
    t.stop().await;
}
