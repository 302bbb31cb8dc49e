//! The lifecycle of a case: every action of SPEC §6's table through the API, its history and
//! its events.

use kuaidi_shared::auth::Role;
use serde_json::{json, Value};
use std::time::Duration;
use uuid::Uuid;

use crate::helpers::{complaint, json_of, refused_fields, Desk};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_case_goes_from_intake_to_close_with_approval_and_every_step_is_recorded() {
    let t = Desk::spawn().await;
    let tap = t.env.tap().await;
    let admin = t.admin();
    let case = t.created(&admin, &complaint("delay")).await;
    let id = case["id"].as_str().expect("id");

    let triaged = t
        .acted(
            &admin,
            id,
            "triage",
            json!({"category": "delay", "priority": "high",
            "reasonable": true, "note": "late by 3 days", "reply": "We are on it."}),
        )
        .await;
    assert_eq!(triaged["status"], "triaged");
    assert_eq!(triaged["priority"], "high");
    assert_eq!(triaged["reasonable"], true);
    assert!(
        triaged["sla"]["first_responded_at"].is_string(),
        "a reply is the first response"
    );
    let assignee = Uuid::now_v7();
    let assigned = t
        .acted(
            &admin,
            id,
            "assign",
            json!({"assignee_id": assignee, "department": "operations"}),
        )
        .await;
    assert_eq!(
        (assigned["status"].clone(), assigned["department"].clone()),
        (json!("assigned"), json!("operations"))
    );
    assert_eq!(assigned["assignee_id"], assignee.to_string());
    t.acted(&admin, id, "investigate", json!({})).await;
    let proposed = t
        .acted(
            &admin,
            id,
            "propose",
            json!({"measures": ["apology", "compensation"],
            "plan": "refund the freight", "compensation": {"amount": "15.00", "currency": "CNY"},
            "report": {"content": "parcel held at hub", "process": "checked scans",
                       "evidence_analysis": "scan gap of 72 h", "conclusion": "hub fault"}}),
        )
        .await;
    assert_eq!(proposed["status"], "pending_approval");
    assert_eq!(proposed["proposal"]["report"]["conclusion"], "hub fault");
    let approved = t
        .acted(
            &t.token(Role::Supervisor),
            id,
            "approve",
            json!({"reason": "fair"}),
        )
        .await;
    assert_eq!(approved["status"], "resolving");
    let resolved = t
        .acted(
            &admin,
            id,
            "resolve",
            json!({"resolution": "freight refunded",
            "customer_notified_at": "2026-11-25T10:00:00Z"}),
        )
        .await;
    assert_eq!(resolved["status"], "awaiting_feedback");
    assert!(resolved["survey_link"]
        .as_str()
        .expect("a survey link")
        .starts_with("/api/v1/surveys/"));
    let closed = t
        .acted(
            &admin,
            id,
            "close",
            json!({"resolution_code": "compensated", "root_cause": "network_layout"}),
        )
        .await;
    assert_eq!(closed["status"], "closed");
    assert_eq!(closed["root_cause"], "network_layout");
    assert_eq!(closed["version"], 8, "intake plus seven actions");

    let history = json_of(t.history(&admin, id).await, 200).await;
    let steps: Vec<(String, String, String)> = history["data"]
        .as_array()
        .expect("entries")
        .iter()
        .skip(1)
        .map(|e| {
            (
                e["action"].as_str().unwrap_or_default().to_owned(),
                e["from"].as_str().unwrap_or_default().to_owned(),
                e["to"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    let expected = [
        ("triage", "received", "triaged"),
        ("assign", "triaged", "assigned"),
        ("investigate", "assigned", "investigating"),
        ("propose", "investigating", "pending_approval"),
        ("approve", "pending_approval", "resolving"),
        ("resolve", "resolving", "awaiting_feedback"),
        ("close", "awaiting_feedback", "closed"),
    ];
    assert_eq!(
        steps,
        expected.map(|(a, f, to)| (a.to_owned(), f.to_owned(), to.to_owned()))
    );
    assert_eq!(
        history["data"][1]["payload"]["note"], "late by 3 days",
        "the body is kept"
    );
    assert!(history["data"][1]["time"].is_string());

    let first = tap
        .next_of_type("complaint.first_responded", Duration::from_secs(10))
        .await;
    assert_eq!(first.data["within_sla"], true);
    let closed_event = tap
        .next_of_type("complaint.closed", Duration::from_secs(10))
        .await;
    assert_eq!(closed_event.data["root_cause"], "network_layout");
    assert_eq!(closed_event.data["resolution_code"], "compensated");
    t.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_illegal_move_is_409_naming_the_allowed_actions() {
    let t = Desk::spawn().await;
    let id = &t.opened("delay").await;

    let resp = t
        .act(&t.admin(), id, "resolve", json!({"resolution": "done"}))
        .await;

    assert_eq!(resp.headers()["content-type"], "application/problem+json");
    let problem = json_of(resp, 409).await;
    assert_eq!(
        problem["allowed_actions"],
        json!(["triage", "escalate", "comment"])
    );
    assert_eq!(problem["status"], 409);
    let unknown = t.act(&t.admin(), id, "teleport", json!({})).await;
    assert_eq!(unknown.status(), 404, "no such action");
    t.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn approval_rejection_and_escalation_are_for_supervisors_and_above() {
    let t = Desk::spawn().await;
    let id = &t.opened("delay").await;
    let agent = t.token(Role::Agent);

    assert_eq!(
        t.act(&agent, id, "escalate", json!({"reason": "angry"}))
            .await
            .status(),
        403
    );
    assert_eq!(
        t.act(&t.token(Role::Analyst), id, "comment", json!({"text": "x"}))
            .await
            .status(),
        403
    );
    let escalated = t
        .acted(
            &t.token(Role::Supervisor),
            id,
            "escalate",
            json!({"reason": "angry"}),
        )
        .await;
    assert_eq!(escalated["escalation_level"], 1);
    assert_eq!(
        escalated["status"], "received",
        "escalation keeps the status"
    );
    let rejected = t.act(&agent, id, "reject", json!({"reason": "no"})).await;
    assert_eq!(rejected.status(), 403);
    t.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rejected_proposal_goes_back_to_investigation() {
    let t = Desk::spawn().await;
    let id = &t.opened("delay").await;
    t.to_resolving(id).await;
    let case = t.created(&t.admin(), &complaint("damaged")).await;
    let other = case["id"].as_str().expect("id");
    let admin = t.admin();
    t.triaged(other, "damaged").await;
    t.acted(
        &admin,
        other,
        "assign",
        json!({"assignee_id": Uuid::now_v7(), "department": "customer_service"}),
    )
    .await;
    t.acted(&admin, other, "investigate", json!(null)).await;
    t.acted(
        &admin,
        other,
        "propose",
        json!({"measures": ["apology"], "plan": "call"}),
    )
    .await;

    let rejected = t
        .act(&t.token(Role::Manager), other, "reject", json!({}))
        .await;
    assert_eq!(refused_fields(rejected).await, vec!["reason"]);
    let back = t
        .acted(
            &t.token(Role::Manager),
            other,
            "reject",
            json!({"reason": "offer more"}),
        )
        .await;

    assert_eq!(back["status"], "investigating");
    t.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreasonable_complaint_is_closed_as_explained_at_triage() {
    let t = Desk::spawn().await;
    let tap = t.env.tap().await;
    let id = &t.opened("delay").await;

    let closed = t
        .acted(
            &t.admin(),
            id,
            "triage",
            json!({"category": "delay", "reasonable": false,
            "note": "delivered on time; customer misread the date", "root_cause": "customer"}),
        )
        .await;

    assert_eq!(closed["status"], "closed");
    assert_eq!(closed["resolution_code"], "explained");
    assert_eq!(closed["reasonable"], false);
    let changed = tap
        .next_of_type("complaint.status_changed", Duration::from_secs(10))
        .await;
    assert_eq!(
        (changed.data["from"].clone(), changed.data["to"].clone()),
        (json!("received"), json!("closed"))
    );
    let reopened = t
        .acted(&t.admin(), id, "reopen", json!({"reason": "new proof"}))
        .await;
    assert_eq!(reopened["status"], "reopened");
    t.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stale_if_match_is_412_and_a_current_one_passes() {
    let t = Desk::spawn().await;
    let case = t.created(&t.admin(), &complaint("delay")).await;
    let id = case["id"].as_str().expect("id");
    let etag = t.case(&t.admin(), id).await.headers()["etag"]
        .to_str()
        .expect("etag")
        .to_owned();
    let comment = json!({"text": "called the hub"});
    let path = format!("/api/v1/complaints/{id}/actions/comment");

    let comment_if_match = |tag: String| {
        let (t, path, comment) = (&t, path.clone(), comment.clone());
        async move {
            t.request(reqwest::Method::POST, &path, &t.admin())
                .header("if-match", tag)
                .json(&comment)
                .send()
                .await
                .expect("sent")
                .status()
        }
    };

    assert_eq!(comment_if_match(etag.clone()).await, 200);
    assert_eq!(
        comment_if_match(etag).await,
        412,
        "the version it names is gone"
    );
    assert_eq!(
        comment_if_match("2".into()).await,
        200,
        "a bare version is accepted too"
    );
    t.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_invalid_field_of_an_action_is_named() {
    let t = Desk::spawn().await;
    let id = &t.opened("delay").await;

    let triage = t
        .act(
            &t.admin(),
            id,
            "triage",
            json!({"category": "mood", "reasonable": "yes"}),
        )
        .await;
    assert_eq!(refused_fields(triage).await, vec!["category", "reasonable"]);
    t.to_resolving(id).await;
    t.refunded(id).await;
    let close = t
        .act(
            &t.admin(),
            id,
            "close",
            json!({"resolution_code": "ok", "root_cause": "fate"}),
        )
        .await;
    assert_eq!(
        refused_fields(close).await,
        vec!["root_cause"],
        "root causes come from the taxonomy"
    );
    t.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_outward_actions_stamp_the_first_response() {
    let t = Desk::spawn().await;
    let id = &t.opened("delay").await;

    let internal = t
        .acted(&t.admin(), id, "comment", json!({"text": "note to self"}))
        .await;
    assert_eq!(internal["sla"]["first_responded_at"], Value::Null);
    let public = t
        .acted(
            &t.admin(),
            id,
            "comment",
            json!({"text": "we called you", "internal": false}),
        )
        .await;
    let stamped = public["sla"]["first_responded_at"].clone();
    assert!(stamped.is_string());
    let again = t
        .acted(
            &t.admin(),
            id,
            "comment",
            json!({"text": "again", "internal": false}),
        )
        .await;
    assert_eq!(
        again["sla"]["first_responded_at"], stamped,
        "only the first one counts"
    );
    t.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_history_refuses_updates_and_deletes_in_the_database_itself() {
    let t = Desk::spawn().await;
    t.created(&t.admin(), &complaint("delay")).await;

    let update = t.execute("UPDATE complaint_history SET actor = 'someone else'");
    let delete = t.execute("DELETE FROM complaint_history");

    assert!(format!("{:?}", update.expect_err("refused")).contains("append-only"));
    assert!(format!("{:?}", delete.expect_err("refused")).contains("append-only"));
    t.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn merchants_see_neither_internal_comments_nor_the_proposal() {
    let t = Desk::spawn().await;
    let merchant = Uuid::now_v7();
    t.shipment_created(&crate::helpers::shipment(
        "KD500000001CN",
        merchant,
        Uuid::now_v7(),
    ))
    .await;
    let mut body = complaint("delay");
    body["tracking_number"] = json!("KD500000001CN");
    let case = t.created(&t.admin(), &body).await;
    let id = case["id"].as_str().expect("id");
    t.acted(
        &t.admin(),
        id,
        "comment",
        json!({"text": "hub manager blamed the merchant"}),
    )
    .await;
    t.acted(
        &t.admin(),
        id,
        "comment",
        json!({"text": "we are on it", "internal": false}),
    )
    .await;

    let staff = json_of(t.history(&t.admin(), id).await, 200).await;
    let theirs = json_of(t.history(&t.merchant(merchant), id).await, 200).await;

    assert_eq!(staff["data"].as_array().expect("data").len(), 3);
    let texts: Vec<&str> = theirs["data"]
        .as_array()
        .expect("data")
        .iter()
        .filter_map(|e| e["payload"]["text"].as_str())
        .collect();
    assert_eq!(texts, vec!["we are on it"]);
    t.to_resolving(id).await;
    let staff_view = json_of(t.case(&t.admin(), id).await, 200).await;
    let their_view = json_of(t.case(&t.merchant(merchant), id).await, 200).await;
    assert_eq!(staff_view["proposal"]["plan"], "refund the freight");
    assert_eq!(
        their_view["proposal"],
        serde_json::Value::Null,
        "the proposal is internal"
    );
    t.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn text_the_database_cannot_store_is_422_not_a_server_error() {
    let t = Desk::spawn().await;
    let mut body = complaint("delay");
    body["description"] = json!("late\u{0}again");
    assert_eq!(
        refused_fields(t.create(&t.admin(), &body).await).await,
        vec!["description"]
    );
    let id = &t.opened("delay").await;

    let comment = t
        .act(&t.admin(), id, "comment", json!({"text": "x\u{0}"}))
        .await;

    assert_eq!(refused_fields(comment).await, vec!["text"]);
    let queue = t
        .get(&t.admin(), "/api/v1/complaints?tracking_number=KD%00")
        .await;
    assert_eq!(refused_fields(queue).await, vec!["tracking_number"]);
    t.stop().await;
}
