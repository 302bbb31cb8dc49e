//! SLA marks and deadlines after a recomputation (SPEC §6: "a changed policy or calendar
//! recomputes every open deadline correctly"): a deadline moved beyond where the case's clock
//! stands takes its warning and breach with it, and the new one is announced when reached; a
//! case whose clocks stand keeps the deadlines they stopped with.

use chrono::Duration as Minutes;
use kuaidi_shared::testing::poll_json;
use serde_json::{json, Value};
use std::time::Duration;

use crate::helpers::{complaint, json_of, time, Desk};

const START: &str = "2026-11-25T08:00:00Z";

/// An urgent delay case (30 / 240 minutes by default); its id.
async fn urgent_case(t: &Desk) -> String {
    let mut body = complaint("delay");
    body["priority"] = json!("urgent");
    let case = t.created(&t.admin(), &body).await;
    case["id"].as_str().expect("id").to_owned()
}

/// `PUT /sla-policies` for delay × urgent.
async fn urgent_policy(t: &Desk, first_response: i32, resolution: i32) {
    let body = json!({"policies": [{"category": "delay", "priority": "urgent",
        "first_response_minutes": first_response, "resolution_minutes": resolution}]});
    json_of(t.put(&t.admin(), "/api/v1/sla-policies", &body).await, 200).await;
}

/// The case once `ready` holds for it.
async fn case_when(t: &Desk, id: &str, what: &str, ready: fn(&Value) -> bool) -> Value {
    poll_json(
        Duration::from_secs(10),
        what,
        || {
            let (desk, admin) = (t, t.admin());
            async move { desk.case(&admin, id).await }
        },
        |c| ready(&c).then_some(c),
    )
    .await
}

/// The ids of the cases `GET /complaints?sla={mark}` lists.
async fn listed(t: &Desk, mark: &str) -> Vec<String> {
    let page = json_of(
        t.get(&t.admin(), &format!("/api/v1/complaints?sla={mark}"))
            .await,
        200,
    )
    .await;
    kuaidi_shared::testing::strings(&page["data"], "id")
        .into_iter()
        .map(str::to_owned)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_policy_that_moves_a_deadline_out_takes_back_its_warning_and_breach() {
    let t = Desk::at(START).await;
    let id = urgent_case(&t).await;
    t.clock.advance(Minutes::minutes(31));
    case_when(&t, &id, "the breach", |c| c["sla"]["breached"] == true).await;

    // 08:31: first response now due at 10:00, warned at 09:36.
    urgent_policy(&t, 120, 600).await;
    let moved = json_of(t.case(&t.admin(), &id).await, 200).await;

    assert_eq!(moved["sla"]["first_response_due"], "2026-11-25T10:00:00Z");
    assert_eq!(
        (
            moved["sla"]["warned"].clone(),
            moved["sla"]["breached"].clone()
        ),
        (json!(false), json!(false)),
        "neither 80 % nor past due under the new deadline: {moved}"
    );
    assert_eq!(moved["escalation_level"], 1, "the escalation stays");
    assert!(listed(&t, "breached").await.is_empty(), "not breached");
    assert!(listed(&t, "warned").await.is_empty(), "not warned");

    // 09:37: past 80 % of the new deadline: warned again, for that deadline.
    t.clock.advance(Minutes::minutes(66));
    case_when(&t, &id, "the new warning", |c| c["sla"]["warned"] == true).await;
    let history = json_of(t.history(&t.admin(), &id).await, 200).await;
    let entries = history["data"].as_array().expect("entries");
    let warnings: Vec<&Value> = entries
        .iter()
        .filter(|e| e["action"] == "sla_warning")
        .collect();
    assert_eq!(warnings.len(), 2, "one warning per deadline: {history}");
    assert_eq!(warnings[0]["payload"]["due_at"], "2026-11-25T08:30:00Z");
    assert_eq!(warnings[1]["payload"]["due_at"], "2026-11-25T10:00:00Z");
    assert_eq!(listed(&t, "warned").await, vec![id.clone()]);
    assert!(listed(&t, "breached").await.is_empty());
    t.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_policy_that_moves_a_passed_deadline_keeps_its_marks() {
    let t = Desk::at(START).await;
    let id = urgent_case(&t).await;
    t.clock.advance(Minutes::minutes(31));
    case_when(&t, &id, "the breach", |c| c["sla"]["breached"] == true).await;

    // First response due 08:30 → 08:31 under 31 minutes: still past.
    urgent_policy(&t, 31, 240).await;
    let moved = json_of(t.case(&t.admin(), &id).await, 200).await;

    assert_eq!(moved["sla"]["first_response_due"], "2026-11-25T08:31:00Z");
    assert_eq!(
        (
            moved["sla"]["warned"].clone(),
            moved["sla"]["breached"].clone()
        ),
        (json!(true), json!(true)),
        "still past the moved deadline: {moved}"
    );
    t.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_policy_change_while_awaiting_feedback_leaves_the_deadlines_the_clock_stopped_with() {
    let t = Desk::at(START).await;
    let id = urgent_case(&t).await;
    t.to_resolving(&id).await;
    t.clock.advance(Minutes::minutes(60));
    let resolved = t.refunded(&id).await;
    assert_eq!(resolved["sla"]["resolution_due"], "2026-11-25T12:00:00Z");

    // 19:00, ten hours into the pause: 300 minutes from 08:00, the clock stopped at 09:00.
    t.clock.advance(Minutes::hours(10));
    urgent_policy(&t, 30, 300).await;
    let paused = json_of(t.case(&t.admin(), &id).await, 200).await;

    assert_eq!(
        paused["sla"]["resolution_due"], "2026-11-25T13:00:00Z",
        "the deadline the clock stopped with, under the new policy"
    );
    assert_eq!(paused["sla"]["breached"], false);
    let reopened = t
        .acted(&t.admin(), &id, "reopen", json!({"reason": "still broken"}))
        .await;
    assert_eq!(
        time(reopened["sla"]["resolution_due"].as_str().expect("due")),
        time("2026-11-25T13:00:00Z") + Minutes::hours(10),
        "out by the ten hours paused"
    );
    t.stop().await;
}
