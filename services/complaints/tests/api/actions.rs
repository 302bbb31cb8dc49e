//! Lifecycle actions against SPEC §6's table: what each action's body needs, and which answer
//! wins when an action is both illegal in the case's status and incomplete.

use kuaidi_shared::auth::Role;
use serde_json::json;

use crate::helpers::{events_until, json_of, Desk};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn close_needs_only_a_resolution_code() {
    let t = Desk::spawn().await;
    let id = &t.opened("delay").await;
    t.to_resolving(id).await;
    t.refunded(id).await;

    let closed = t
        .acted(
            &t.admin(),
            id,
            "close",
            json!({"resolution_code": "compensated"}),
        )
        .await;

    assert_eq!(closed["status"], "closed");
    assert_eq!(closed["resolution_code"], "compensated");
    assert_eq!(closed["root_cause"], serde_json::Value::Null);
    t.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_illegal_action_is_409_even_when_its_body_is_incomplete() {
    let t = Desk::spawn().await;
    let id = &t.opened("delay").await;

    let resolve = t.act(&t.admin(), id, "resolve", json!({})).await;
    let close = t
        .act(&t.admin(), id, "close", json!({"root_cause": "fate"}))
        .await;

    let problem = json_of(resolve, 409).await;
    assert_eq!(problem["current_status"], "received");
    json_of(close, 409).await;
    let legal_but_incomplete = t.act(&t.admin(), id, "triage", json!({})).await;
    assert_eq!(
        legal_but_incomplete.status(),
        422,
        "a legal action with a bad body is still a 422"
    );
    let supervisor = t.token(Role::Supervisor);
    let case = json_of(t.case(&supervisor, id).await, 200).await;
    assert_eq!(case["version"], 1, "nothing was changed");
    t.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_root_cause_named_at_triage_is_kept_through_close() {
    let t = Desk::spawn().await;
    let tap = t.env.tap().await;
    let (admin, id) = (t.admin(), &t.opened("delay").await);

    let triaged = t
        .acted(
            &admin,
            id,
            "triage",
            json!({"category": "delay", "reasonable": true, "root_cause": "equipment"}),
        )
        .await;
    assert_eq!(triaged["root_cause"], "equipment");
    t.approved(id, json!({"measures": ["apology"], "plan": "fix the belt"}))
        .await;
    t.acted(&admin, id, "resolve", json!({"resolution": "re-sent"}))
        .await;
    let closed = t
        .acted(&admin, id, "close", json!({"resolution_code": "resolved"}))
        .await;

    assert_eq!(closed["root_cause"], "equipment", "close named none: kept");
    let history = json_of(t.history(&admin, id).await, 200).await;
    let triage = history["data"]
        .as_array()
        .expect("entries")
        .iter()
        .find(|e| e["action"] == "triage")
        .expect("the triage entry")
        .clone();
    assert_eq!(triage["payload"]["root_cause"], "equipment", "{triage}");
    let events = events_until(&tap, &["complaint.closed"]).await;
    assert_eq!(events[0].data["root_cause"], "equipment");
    t.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_root_cause_named_at_close_replaces_the_one_of_triage() {
    let t = Desk::spawn().await;
    let (admin, id) = (t.admin(), &t.opened("delay").await);
    let triage = json!({"category": "delay", "reasonable": true, "root_cause": "training"});
    t.acted(&admin, id, "triage", triage).await;
    t.approved(id, json!({"measures": ["apology"], "plan": "coach"}))
        .await;
    t.acted(&admin, id, "resolve", json!({"resolution": "apologised"}))
        .await;

    let close = json!({"resolution_code": "resolved", "root_cause": "management"});
    let closed = t.acted(&admin, id, "close", close).await;

    assert_eq!(closed["root_cause"], "management");
    t.stop().await;
}
