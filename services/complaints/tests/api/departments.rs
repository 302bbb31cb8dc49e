//! The department directory: assignments stay within the assignee's department, agents hand
//! cases on only within their own, and an SLA breach reaches the supervisor's inbox.

use chrono::Duration as Minutes;
use kuaidi_shared::auth::Role;
use serde_json::{json, Value};
use uuid::Uuid;

use crate::helpers::{complaint, events_until, json_of, refused_fields, Desk};

/// Names `supervisor` and the roster of `department` (as an admin); the department after it.
async fn staff(t: &Desk, department: &str, supervisor: Option<Uuid>, members: &[Uuid]) -> Value {
    json_of(
        t.put(
            &t.admin(),
            &format!("/api/v1/departments/{department}"),
            &json!({"supervisor_id": supervisor, "members": members}),
        )
        .await,
        200,
    )
    .await
}

/// A new case, triaged: ready to be assigned.
async fn triaged(t: &Desk) -> String {
    let id = t.opened("delay").await;
    t.triaged(&id, "delay").await;
    id
}

fn assign(to: Uuid, department: &str) -> Value {
    json!({"assignee_id": to, "department": department})
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_case_goes_only_to_someone_of_the_department_it_is_given_to() {
    let t = Desk::spawn().await;
    let (lawyer, boss, stranger) = (Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7());
    staff(&t, "legal", Some(boss), &[lawyer]).await;

    let id = triaged(&t).await;
    let resp = t
        .act(&t.admin(), &id, "assign", assign(lawyer, "operations"))
        .await;
    assert_eq!(
        refused_fields(resp).await,
        vec!["assignee_id"],
        "a lawyer is not given operations' cases"
    );
    let resp = t
        .act(&t.admin(), &id, "assign", assign(stranger, "legal"))
        .await;
    assert_eq!(
        refused_fields(resp).await,
        vec!["assignee_id"],
        "legal keeps a roster: strangers are not on it"
    );
    let case = t
        .acted(&t.admin(), &id, "assign", assign(lawyer, "legal"))
        .await;
    assert_eq!(
        (case["assignee_id"].clone(), case["department"].clone()),
        (json!(lawyer), json!("legal"))
    );
    let id = triaged(&t).await;
    t.acted(&t.admin(), &id, "assign", assign(boss, "legal"))
        .await;
    let id = triaged(&t).await;
    t.acted(&t.admin(), &id, "assign", assign(stranger, "sales"))
        .await;
    t.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_agent_hands_cases_on_only_within_their_own_department() {
    let t = Desk::spawn().await;
    let (agent, colleague, lawyer) = (Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7());
    staff(&t, "customer_service", None, &[agent, colleague]).await;
    staff(&t, "legal", None, &[lawyer]).await;
    let me = t.user(Role::Agent, agent);

    let id = triaged(&t).await;
    let resp = t.act(&me, &id, "assign", assign(lawyer, "legal")).await;
    assert_eq!(resp.status(), 403);
    assert_eq!(resp.headers()["content-type"], "application/problem+json");
    t.acted(&me, &id, "assign", assign(colleague, "customer_service"))
        .await;
    let id = triaged(&t).await;
    t.acted(
        &t.user(Role::Supervisor, Uuid::now_v7()),
        &id,
        "assign",
        assign(lawyer, "legal"),
    )
    .await;
    t.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_directory_is_kept_by_admins_and_managers() {
    let t = Desk::spawn().await;
    let list = json_of(
        t.get(&t.token(Role::Agent), "/api/v1/departments").await,
        200,
    )
    .await;
    let names = kuaidi_shared::testing::strings(&list["data"], "name");
    assert_eq!(
        names,
        vec![
            "compliance",
            "customer_service",
            "legal",
            "operations",
            "sales"
        ]
    );
    let body = json!({"supervisor_id": null, "members": []});
    let resp = t
        .put(
            &t.token(Role::Supervisor),
            "/api/v1/departments/legal",
            &body,
        )
        .await;
    assert_eq!(resp.status(), 403);
    let resp = t
        .put(&t.admin(), "/api/v1/departments/marketing", &body)
        .await;
    assert_eq!(resp.status(), 404);
    let resp = t
        .put(
            &t.admin(),
            "/api/v1/departments/legal",
            &json!({"supervisor_id": "boss", "members": ["x"]}),
        )
        .await;
    assert_eq!(refused_fields(resp).await, vec!["supervisor_id", "members"]);

    let person = Uuid::now_v7();
    let legal = staff(&t, "legal", None, &[person]).await;
    assert_eq!(legal["version"], 2);
    let ops = staff(&t, "operations", None, &[person]).await;
    assert_eq!(ops["members"], json!([person]));
    let legal = json_of(t.get(&t.admin(), "/api/v1/departments/legal").await, 200).await;
    assert_eq!(legal["members"], json!([]), "one department per person");

    let resp = t
        .request(
            reqwest::Method::PUT,
            "/api/v1/departments/legal",
            &t.admin(),
        )
        .header("if-match", "1")
        .json(&body)
        .send()
        .await
        .expect("sent");
    assert_eq!(resp.status(), 412, "legal is at version 2");
    t.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_breach_lands_in_the_inbox_of_the_supervisor_of_the_cases_department() {
    let t = Desk::at("2026-11-25T08:00:00Z").await;
    let tap = t.env.tap().await;
    let (boss, other) = (Uuid::now_v7(), Uuid::now_v7());
    staff(&t, "customer_service", Some(boss), &[]).await;
    staff(&t, "legal", Some(other), &[]).await;
    let mut body = complaint("delay");
    body["priority"] = json!("urgent");
    let case = t.created(&t.admin(), &body).await;
    let id = case["id"].as_str().expect("id");

    t.clock.advance(Minutes::minutes(31));
    let events = events_until(&tap, &["complaint.escalated"]).await;
    assert_eq!(events[0].data["supervisor_id"], json!(boss));
    let mine = inbox(&t, t.user(Role::Supervisor, boss)).await;
    assert_eq!(mine["data"].as_array().map(Vec::len), Some(1));
    let notice = &mine["data"][0];
    assert_eq!(
        (notice["complaint_id"].as_str(), notice["kind"].as_str()),
        (Some(id), Some("escalated"))
    );
    assert_eq!(notice["payload"]["escalation_level"], 1);
    let theirs = inbox(&t, t.user(Role::Supervisor, other)).await;
    assert_eq!(
        theirs["data"],
        json!([]),
        "addressed to the case's department's supervisor"
    );
    let resp = t.get(&t.token(Role::Agent), "/api/v1/notifications").await;
    assert_eq!(resp.status(), 403);

    let path = format!(
        "/api/v1/notifications/{}/read",
        notice["id"].as_str().expect("id")
    );
    let resp = t
        .post(&t.user(Role::Supervisor, other), &path, &json!({}))
        .await;
    assert_eq!(resp.status(), 404, "not in another supervisor's inbox");
    let read = json_of(
        t.post(&t.user(Role::Supervisor, boss), &path, &json!({}))
            .await,
        200,
    )
    .await;
    assert!(read["read_at"].is_string());
    let mine = inbox(&t, t.user(Role::Supervisor, boss)).await;
    assert_eq!(mine["data"], json!([]), "read: no longer unread");
    let history = json_of(t.history(&t.admin(), id).await, 200).await;
    let escalation = history["data"]
        .as_array()
        .expect("data")
        .iter()
        .find(|e| e["action"] == "escalate")
        .cloned()
        .expect("escalated");
    assert_eq!(
        escalation["payload"]["notified"]["supervisor_id"],
        json!(boss)
    );
    t.stop().await;
}

/// The unread notifications `token` sees.
async fn inbox(t: &Desk, token: String) -> Value {
    json_of(
        t.get(&token, "/api/v1/notifications?unread=true").await,
        200,
    )
    .await
}
