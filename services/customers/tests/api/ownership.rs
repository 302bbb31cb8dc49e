//! Owner changes outside handovers: an edit never makes its editor the owner; an edit naming
//! an owner is an owner change, announced, its open follow-ups taken along; an agent makes no
//! one but themselves an owner.

use kuaidi_shared::auth::Role;
use kuaidi_shared::testing::{expect_json, expect_problem, refused_fields, user_token};
use serde_json::{json, Value};
use std::time::Duration;
use uuid::Uuid;

use crate::helpers::{create, id_of, spawn};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_agents_edit_of_an_unowned_customer_leaves_it_unowned() {
    let app = spawn().await;
    let agent = user_token(&app.env.key, Role::Agent, Uuid::now_v7());
    let id = id_of(&create(&app, &json!({"kind": "individual", "name": "无主"})).await);
    let path = format!("/api/v1/customers/{id}");

    let edited = app.patch(&agent, &path, &json!({"tags": ["vip"]})).await;
    let edited = expect_json(edited, 200).await;
    assert_eq!(edited["tags"], json!(["vip"]));
    assert_eq!(
        edited["owner_id"],
        Value::Null,
        "the editor did not become the owner"
    );

    let created = app
        .post(
            &agent,
            "/api/v1/customers",
            &json!({"kind": "individual", "name": "新"}),
        )
        .await;
    assert_ne!(
        expect_json(created, 201).await["owner_id"],
        Value::Null,
        "an agent still owns the customer they create"
    );
    app.app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_owner_named_in_an_edit_is_announced_and_takes_the_open_follow_ups() {
    let app = spawn().await;
    let admin = app.token(Role::Admin);
    let (alice, bob) = (Uuid::now_v7(), Uuid::now_v7());
    let body = json!({"kind": "individual", "name": "客户", "owner_id": alice});
    let id = id_of(&create(&app, &body).await);
    let task = json!({"due_at": "2030-01-01T00:00:00Z", "reason": "renewal"});
    let task = app
        .post(&admin, &format!("/api/v1/customers/{id}/follow-ups"), &task)
        .await;
    assert_eq!(
        expect_json(task, 201).await["assignee_id"],
        alice.to_string()
    );
    let tap = app.env.tap().await;

    let path = format!("/api/v1/customers/{id}");
    let edited = app.patch(&admin, &path, &json!({"owner_id": bob})).await;
    assert_eq!(expect_json(edited, 200).await["owner_id"], bob.to_string());

    let event = tap
        .next_of_type("customer.owner_changed", Duration::from_secs(10))
        .await;
    assert_eq!(event.data["customer_id"], id.to_string());
    assert_eq!(event.data["from_owner_id"], alice.to_string());
    assert_eq!(event.data["to_owner_id"], bob.to_string());
    assert_eq!(event.data["handover_id"], Value::Null);
    let bobs = format!("/api/v1/follow-ups?assignee={bob}&status=open");
    let bobs = expect_json(app.get(&admin, &bobs).await, 200).await;
    assert_eq!(bobs["data"].as_array().map(Vec::len), Some(1), "{bobs}");
    app.app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_owner_change_must_name_the_owner_and_only_null_clears_it() {
    let app = spawn().await;
    let admin = app.token(Role::Admin);
    let alice = Uuid::now_v7();
    let body = json!({"kind": "individual", "name": "客户", "owner_id": alice});
    let id = id_of(&create(&app, &body).await);
    let (path, owner) = (
        format!("/api/v1/customers/{id}"),
        format!("/api/v1/customers/{id}/owner"),
    );

    assert_eq!(
        refused_fields(app.put(&admin, &owner, &json!({})).await).await,
        ["owner_id"],
        "the owner must be named"
    );
    assert_eq!(
        expect_json(app.get(&admin, &path).await, 200).await["owner_id"],
        alice.to_string(),
        "an empty body leaves the owner"
    );

    let cleared = app.put(&admin, &owner, &json!({"owner_id": null})).await;
    assert_eq!(
        expect_json(cleared, 200).await["owner_id"],
        Value::Null,
        "an explicit null clears it"
    );
    app.app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_agent_creates_customers_owned_by_themselves_never_by_someone_else() {
    let app = spawn().await;
    let (me, colleague) = (Uuid::now_v7(), Uuid::now_v7());
    let agent = user_token(&app.env.key, Role::Agent, me);

    let theirs = json!({"kind": "individual", "name": "别人的", "owner_id": colleague});
    let refused = app.post(&agent, "/api/v1/customers", &theirs).await;
    let problem = expect_problem(refused, 403).await;
    assert_eq!(problem["code"], "forbidden", "{problem}");
    let all = app.get(&app.token(Role::Admin), "/api/v1/customers").await;
    assert_eq!(
        expect_json(all, 200).await["data"],
        json!([]),
        "nothing created"
    );

    let mine = json!({"kind": "individual", "name": "我的", "owner_id": me});
    let mine = app.post(&agent, "/api/v1/customers", &mine).await;
    assert_eq!(expect_json(mine, 201).await["owner_id"], me.to_string());

    let supervisor = app.token(Role::Supervisor);
    let assigned = app.post(&supervisor, "/api/v1/customers", &theirs).await;
    assert_eq!(
        expect_json(assigned, 201).await["owner_id"],
        colleague.to_string(),
        "a supervisor still assigns customers to others"
    );
    app.app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_agent_takes_unowned_customers_and_gives_up_their_own_but_hands_none_to_others() {
    let app = spawn().await;
    let (me, colleague) = (Uuid::now_v7(), Uuid::now_v7());
    let agent = user_token(&app.env.key, Role::Agent, me);
    let unowned = id_of(&create(&app, &json!({"kind": "individual", "name": "无主"})).await);
    let (path, owner) = (
        format!("/api/v1/customers/{unowned}"),
        format!("/api/v1/customers/{unowned}/owner"),
    );
    let to_colleague = json!({"owner_id": colleague});

    let put = app.put(&agent, &owner, &to_colleague).await;
    assert_eq!(expect_problem(put, 403).await["code"], "forbidden");
    let patched = app.patch(&agent, &path, &to_colleague).await;
    assert_eq!(expect_problem(patched, 403).await["code"], "forbidden");
    let read = app.get(&app.token(Role::Admin), &path).await;
    assert_eq!(
        expect_json(read, 200).await["owner_id"],
        Value::Null,
        "still unowned"
    );

    let taken = app.put(&agent, &owner, &json!({"owner_id": me})).await;
    assert_eq!(expect_json(taken, 200).await["owner_id"], me.to_string());
    let put = app.put(&agent, &owner, &to_colleague).await;
    expect_problem(put, 403).await;
    let patched = app.patch(&agent, &path, &to_colleague).await;
    expect_problem(patched, 403).await;
    let kept = app
        .patch(&agent, &path, &json!({"owner_id": me, "tags": ["vip"]}))
        .await;
    assert_eq!(expect_json(kept, 200).await["owner_id"], me.to_string());

    let given_up = app.put(&agent, &owner, &json!({"owner_id": null})).await;
    assert_eq!(expect_json(given_up, 200).await["owner_id"], Value::Null);
    let manager = app.token(Role::Manager);
    let handed = app.put(&manager, &owner, &to_colleague).await;
    assert_eq!(
        expect_json(handed, 200).await["owner_id"],
        colleague.to_string(),
        "a manager hands customers to others"
    );
    app.app.stop().await;
}
