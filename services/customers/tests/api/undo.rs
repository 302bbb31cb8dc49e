//! An undo undoes the merge and nothing that came after it: a field of the survivor changed
//! since the merge (its owner by a handover, its name by an edit) keeps its value, every field
//! still as the merge left it goes back; a plain undo puts both files back whole.

use kuaidi_shared::auth::Role;
use kuaidi_shared::testing::{expect_json, TestApp};
use serde_json::{json, Value};
use std::time::Duration;
use uuid::Uuid;

use crate::helpers::{create, id_of, read, spawn};

const WAIT: Duration = Duration::from_secs(10);

/// Merges `d` into `s` as admin with `prefer`; answers the merge id.
async fn merge(app: &TestApp, s: Uuid, d: Uuid, prefer: Value) -> String {
    let body = json!({"duplicate_id": d, "prefer": prefer});
    let merged = app
        .post(
            &app.token(Role::Admin),
            &format!("/api/v1/customers/{s}/merge"),
            &body,
        )
        .await;
    let merged = expect_json(merged, 200).await;
    merged["merge_id"].as_str().expect("a merge id").to_owned()
}

/// Undoes merge `merge_id` as admin; answers the undo.
async fn undo(app: &TestApp, merge_id: &str) -> Value {
    let path = format!("/api/v1/customers/merges/{merge_id}:undo");
    expect_json(
        app.post(&app.token(Role::Admin), &path, &json!({})).await,
        200,
    )
    .await
}

/// How the survivor gets another owner after the merge.
#[derive(Clone, Copy)]
enum OwnerChange {
    Handover,
    PutOwner,
}

/// Merges two files, gives the survivor another owner, undoes the merge: the survivor keeps
/// the owner it was given, and the undo announces no owner change of it.
async fn an_owner_given_after_the_merge_stays(how: OwnerChange) {
    let app = spawn().await;
    let admin = app.token(Role::Admin);
    let (alice, bob, carol) = (Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7());
    let s = create(&app, &json!({"kind": "individual", "name": "王小明", "phones": ["13900001111"], "owner_id": alice})).await;
    let d = create(&app, &json!({"kind": "individual", "name": "王晓明", "phones": ["13900001111", "13900002222"], "owner_id": bob})).await;
    let (s, d) = (id_of(&s), id_of(&d));
    let sentinel = id_of(&create(&app, &json!({"kind": "individual", "name": "哨兵"})).await);
    let merge_id = merge(&app, s, d, json!({})).await;
    let tap = app.env.tap().await;

    let given = match how {
        OwnerChange::Handover => {
            let body = json!({"from_owner_id": alice, "to_owner_id": carol});
            app.post(&admin, "/api/v1/customers/handover", &body).await
        }
        OwnerChange::PutOwner => {
            let path = format!("/api/v1/customers/{s}/owner");
            app.put(&admin, &path, &json!({"owner_id": carol})).await
        }
    };
    expect_json(given, 200).await;
    let change = tap.next_of_type("customer.owner_changed", WAIT).await;
    assert_eq!(
        (&change.data["customer_id"], &change.data["to_owner_id"]),
        (&json!(s), &json!(carol)),
        "the owner change after the merge"
    );

    let undone = undo(&app, &merge_id).await;
    assert_eq!(
        undone["survivor"]["owner_id"],
        json!(carol),
        "the undo keeps the owner given after the merge: {undone}"
    );
    assert_eq!(
        undone["survivor"]["phones"],
        json!(["13900001111"]),
        "and undoes the merge otherwise"
    );
    assert_eq!(undone["duplicate"]["owner_id"], json!(bob));
    assert_eq!(undone["duplicate"]["merged_into"], Value::Null);
    assert_eq!(read(&app, s).await["owner_id"], json!(carol));

    for _ in 0..2 {
        let updated = tap.next_of_type("customer.updated", WAIT).await;
        assert_eq!(updated.data["changed"], json!(["merge_undone"]));
    }
    // The relay publishes in outbox order: an owner change the undo announced would come
    // before this later one.
    let path = format!("/api/v1/customers/{sentinel}/owner");
    let put = app.put(&admin, &path, &json!({"owner_id": alice})).await;
    expect_json(put, 200).await;
    let next = tap.next_of_type("customer.owner_changed", WAIT).await;
    assert_eq!(
        next.data["customer_id"],
        json!(sentinel),
        "the undo announced no owner change: {:?}",
        next.data
    );
    app.app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_undo_keeps_an_owner_handed_over_after_the_merge() {
    an_owner_given_after_the_merge_stays(OwnerChange::Handover).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_undo_keeps_an_owner_put_after_the_merge() {
    an_owner_given_after_the_merge_stays(OwnerChange::PutOwner).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_undo_keeps_a_name_edited_after_the_merge_and_the_survivors_own_interactions() {
    let app = spawn().await;
    let admin = app.token(Role::Admin);
    let s = create(&app, &json!({"kind": "business", "name": "Acme Trading", "phones": ["13812345678"], "tags": ["export"]})).await;
    let d = create(&app, &json!({"kind": "business", "name": "ACME Trading Ltd", "phones": ["13812345678", "13800000002"], "tags": ["import"]})).await;
    let (s, d) = (id_of(&s), id_of(&d));
    let log = |id: Uuid, summary: &'static str| {
        let (app, admin) = (&app, &admin);
        async move {
            let body = json!({"channel": "phone", "direction": "in", "kind": "inquiry", "summary": summary});
            let path = format!("/api/v1/customers/{id}/interactions");
            expect_json(app.post(admin, &path, &body).await, 201).await;
        }
    };
    log(d, "the duplicate's own").await;
    let before = read(&app, d).await;
    let merge_id = merge(&app, s, d, json!({"name": "duplicate"})).await;
    let path = format!("/api/v1/customers/{s}");
    let edited = app
        .patch(&admin, &path, &json!({"name": "Acme Trading Co"}))
        .await;
    assert_eq!(expect_json(edited, 200).await["name"], "Acme Trading Co");
    log(s, "logged on the survivor after the merge").await;
    let tap = app.env.tap().await;

    let undone = undo(&app, &merge_id).await;
    let survivor = read(&app, s).await;
    assert_eq!(
        survivor["name"], "Acme Trading Co",
        "the name edited after the merge stays"
    );
    assert_eq!(
        (&survivor["phones"], &survivor["tags"]),
        (&json!(["13812345678"]), &json!(["export"])),
        "what the merge brought and nobody changed since goes: {survivor}"
    );
    assert_eq!(undone["survivor"]["name"], survivor["name"]);
    let summaries = |c: &Value| -> Vec<Value> {
        let listed = c["interactions"].as_array().cloned().unwrap_or_default();
        listed.iter().map(|i| i["summary"].clone()).collect()
    };
    assert_eq!(
        summaries(&survivor),
        [json!("logged on the survivor after the merge")],
        "the survivor keeps what was logged on it after the merge"
    );
    let duplicate = read(&app, d).await;
    for field in [
        "name",
        "phones",
        "tags",
        "owner_id",
        "merged_into",
        "interactions",
    ] {
        assert_eq!(duplicate[field], before[field], "the duplicate's {field}");
    }
    loop {
        let updated = tap.next_of_type("customer.updated", WAIT).await;
        if updated.data["customer_id"] == json!(s) {
            assert_eq!(
                updated.data["phone_hashes"].as_array().map(Vec::len),
                Some(1),
                "the survivor's own phone only: {:?}",
                updated.data
            );
            break;
        }
    }
    app.app.stop().await;
}

/// The customers a new file with `body` would duplicate (the `409` of a creation).
async fn holders(app: &TestApp, body: Value) -> Vec<Value> {
    let created = app
        .post(&app.token(Role::Admin), "/api/v1/customers", &body)
        .await;
    let refused = expect_json(created, 409).await;
    let matches = refused["matches"].as_array().cloned().unwrap_or_default();
    matches.iter().map(|m| m["customer_id"].clone()).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_undo_keeps_emails_edited_after_the_merge_and_indexes_what_the_survivor_holds() {
    let app = spawn().await;
    let admin = app.token(Role::Admin);
    let s = create(
        &app,
        &json!({"kind": "individual", "name": "韩梅梅", "phones": ["13600001111"]}),
    )
    .await;
    let d = create(&app, &json!({"kind": "individual", "name": "韩 梅梅", "phones": ["13600002222"], "emails": ["mm@example.com"]})).await;
    let (s, d) = (id_of(&s), id_of(&d));
    let merge_id = merge(&app, s, d, json!({})).await;
    let path = format!("/api/v1/customers/{s}");
    let body = json!({"emails": ["han@example.com"]});
    expect_json(app.patch(&admin, &path, &body).await, 200).await;

    let undone = undo(&app, &merge_id).await;
    assert_eq!(
        (&undone["survivor"]["phones"], &undone["survivor"]["emails"]),
        (&json!(["13600001111"]), &json!(["han@example.com"])),
        "the phones go back, the emails edited since stay: {undone}"
    );
    let individual = |field: &str, value: &str| {
        let mut body = json!({"kind": "individual", "name": "新"});
        body[field] = json!([value]);
        body
    };
    assert_eq!(
        holders(&app, individual("emails", "han@example.com")).await,
        [json!(s)],
        "the survivor is found by the email it holds"
    );
    assert_eq!(
        holders(&app, individual("phones", "13600002222")).await,
        [json!(d)],
        "the duplicate's phone is the duplicate's alone again"
    );
    assert_eq!(
        holders(&app, individual("phones", "13600001111")).await,
        [json!(s)],
        "the survivor keeps its own phone"
    );
    app.app.stop().await;
}

/// A view without what an undo must change: the versions (the file's, and its follow-ups',
/// moved twice), the update time, the merge history.
fn comparable(view: &Value) -> Value {
    let mut v = view.clone();
    for field in ["version", "updated_at", "merges"] {
        v[field] = Value::Null;
    }
    for task in v["follow_ups"].as_array_mut().into_iter().flatten() {
        task["version"] = Value::Null;
    }
    v
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plain_undo_puts_both_files_back_whole_and_announces_the_owner_put_back() {
    let app = spawn().await;
    let admin = app.token(Role::Admin);
    let (alice, bob) = (Uuid::now_v7(), Uuid::now_v7());
    let s = create(&app, &json!({"kind": "individual", "name": "李雷", "phones": ["13700001111"], "tags": ["a"], "owner_id": alice, "region": {"city": "杭州"}})).await;
    let d = create(&app, &json!({"kind": "individual", "name": "李 雷", "phones": ["13700002222"], "emails": ["li@example.com"], "tags": ["b"], "owner_id": bob, "industry": "retail", "region": {"city": "北京"}, "birthday": "1990-03-14", "consents": {"profile_extras": true, "marketing": true}})).await;
    let (s, d) = (id_of(&s), id_of(&d));
    let body = json!({"channel": "sms", "direction": "out", "kind": "care", "summary": "hi"});
    let logged = app
        .post(
            &admin,
            &format!("/api/v1/customers/{d}/interactions"),
            &body,
        )
        .await;
    expect_json(logged, 201).await;
    let task = json!({"due_at": "2030-01-01T00:00:00Z", "reason": "call back"});
    let task = app
        .post(&admin, &format!("/api/v1/customers/{d}/follow-ups"), &task)
        .await;
    expect_json(task, 201).await;
    let before = (read(&app, s).await, read(&app, d).await);

    let prefer = json!({"name": "duplicate", "owner_id": "duplicate", "region": "duplicate"});
    let merge_id = merge(&app, s, d, prefer).await;
    let merged = read(&app, s).await;
    assert_eq!(
        (&merged["owner_id"], &merged["birthday"]),
        (&json!(bob), &json!("1990-03-14")),
        "the merge took the duplicate's owner and birthday: {merged}"
    );
    let tap = app.env.tap().await;
    undo(&app, &merge_id).await;

    let after = (read(&app, s).await, read(&app, d).await);
    assert_eq!(
        comparable(&after.0),
        comparable(&before.0),
        "the survivor as it was"
    );
    assert_eq!(
        comparable(&after.1),
        comparable(&before.1),
        "the duplicate as it was, its interaction and follow-up with it"
    );
    let change = tap.next_of_type("customer.owner_changed", WAIT).await;
    assert_eq!(
        (
            &change.data["customer_id"],
            &change.data["from_owner_id"],
            &change.data["to_owner_id"]
        ),
        (&json!(s), &json!(bob), &json!(alice)),
        "the owner the merge changed is put back, announced"
    );
    app.app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_undo_announces_itself_so_other_services_move_back_what_the_merge_moved() {
    let app = spawn().await;
    let s = id_of(
        &create(
            &app,
            &json!({"kind": "individual", "name": "周杰", "phones": ["13600001111"]}),
        )
        .await,
    );
    let d = id_of(
        &create(
            &app,
            &json!({"kind": "individual", "name": "周 杰", "phones": ["13600002222"]}),
        )
        .await,
    );
    let merge_id = merge(&app, s, d, json!({})).await;
    let tap = app.env.tap().await;
    let undone = undo(&app, &merge_id).await;

    let event = tap.next_of_type("customer.merge_undone", WAIT).await;
    assert_eq!(event.subject.as_deref(), Some(s.to_string().as_str()));
    assert_eq!(
        (
            &event.data["merge_id"],
            &event.data["survivor_id"],
            &event.data["duplicate_id"]
        ),
        (&json!(merge_id), &json!(s), &json!(d)),
        "the undone merge, its survivor and duplicate: {:?}",
        event.data
    );
    let at = |v: &Value| serde_json::from_value::<chrono::DateTime<chrono::Utc>>(v.clone()).ok();
    assert_eq!(
        at(&event.data["undone_at"]),
        at(&undone["undone_at"]),
        "the undo's time: {undone}"
    );
    assert!(at(&undone["undone_at"]).is_some(), "{undone}");
    app.app.stop().await;
}
