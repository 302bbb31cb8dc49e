//! What a black-box probe through the gateway found, each through the API: the history merchants
//! and end customers read, a key account's fast lane at triage, repeat reports without a
//! customer, evidence that is empty or comes after the close, a receipt window that ends
//! before it starts, and improvement-action patches that change nothing.

use kuaidi_shared::auth::Role;
use kuaidi_shared::testing::{claims, expect_problem, signed};
use serde_json::{json, Value};
use uuid::Uuid;

use crate::app::{report, CHEN};
use crate::helpers::{complaint, json_of, refused_fields, shipment, time, Desk};

/// The actions of a history page, in order.
fn actions(history: &Value) -> Vec<&str> {
    kuaidi_shared::testing::strings(&history["data"], "action")
}

/// The entry of `action` (the first).
fn entry<'a>(history: &'a Value, action: &str) -> &'a Value {
    history["data"]
        .as_array()
        .expect("data")
        .iter()
        .find(|e| e["action"] == action)
        .unwrap_or_else(|| panic!("a {action} entry in {history}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn merchants_and_end_customers_read_only_the_public_part_of_a_cases_history() {
    let (t, merchant, _chen) = Desk::chen_sent("KD900000001CN", None).await;
    // As the gateway issues it: the subject names the phone's blind index.
    let mut as_chen = claims(Role::Customer, &format!("customer:{CHEN}"));
    as_chen.phone_hash = Some(CHEN.into());
    let chen = signed(&t.env.key, &as_chen);
    let (admin_id, supervisor_id, assignee) = (Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7());
    let (admin, supervisor) = (
        t.user(Role::Admin, admin_id),
        t.user(Role::Supervisor, supervisor_id),
    );
    let id = &t.created(&chen, &report("KD900000001CN")).await["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let steps = [
        (
            &admin,
            "triage",
            json!({"category": "delay", "priority": "high", "reasonable": true,
            "note": "INTERNAL: courier has 3 prior warnings", "reply": "We are looking into it."}),
        ),
        (
            &admin,
            "comment",
            json!({"text": "INTERNAL: the hub blames the merchant"}),
        ),
        (
            &admin,
            "comment",
            json!({"text": "Your parcel is at the Beijing hub.", "internal": false}),
        ),
        (
            &admin,
            "assign",
            json!({"assignee_id": assignee, "department": "operations"}),
        ),
        (
            &supervisor,
            "escalate",
            json!({"reason": "INTERNAL: a loud merchant"}),
        ),
        (&admin, "investigate", json!({})),
        (
            &admin,
            "propose",
            json!({"measures": ["penalty", "compensation"], "plan": "INTERNAL: fine courier 200",
            "compensation": {"amount": "200.00", "currency": "CNY"},
            "report": {"content": "INTERNAL: scans", "process": "p", "evidence_analysis": "e",
                "conclusion": "courier at fault"}}),
        ),
        (
            &supervisor,
            "reject",
            json!({"reason": "INTERNAL: too generous"}),
        ),
        (
            &admin,
            "propose",
            json!({"measures": ["apology"], "plan": "INTERNAL: apologise"}),
        ),
        (&supervisor, "approve", json!({"reason": "INTERNAL: fine"})),
        (
            &admin,
            "resolve",
            json!({"resolution": "We refunded the freight."}),
        ),
    ];
    for (token, action, body) in steps {
        t.acted(token, id, action, body).await;
    }

    let theirs = [
        json_of(t.history(&t.merchant(merchant), id).await, 200).await,
        json_of(t.history(&chen, id).await, 200).await,
    ];
    let staff = json_of(t.history(&admin, id).await, 200).await;

    for (who, history) in ["the merchant", "chen"].iter().zip(&theirs) {
        let text = history.to_string();
        for secret in [
            "INTERNAL",
            "fine courier",
            "200.00",
            "courier at fault",
            CHEN,
            &admin_id.to_string(),
            &supervisor_id.to_string(),
            &assignee.to_string(),
        ] {
            assert!(
                !text.contains(secret),
                "{who} must not read {secret:?}: {history}"
            );
        }
        assert_eq!(
            actions(history),
            vec![
                "receive",
                "triage",
                "comment",
                "assign",
                "investigate",
                "propose",
                "reject",
                "propose",
                "approve",
                "resolve"
            ],
            "{who} reads every change of status and the public comment, no note or escalation"
        );
        assert_eq!(entry(history, "receive")["actor"], "customer", "{who}");
        assert_eq!(entry(history, "triage")["actor"], "staff", "{who}");
        assert_eq!(
            (
                entry(history, "triage")["from"].clone(),
                entry(history, "triage")["to"].clone()
            ),
            (json!("received"), json!("triaged"))
        );
        assert_eq!(
            entry(history, "triage")["payload"],
            json!({"reply": "We are looking into it."})
        );
        assert_eq!(
            entry(history, "comment")["payload"]["text"],
            "Your parcel is at the Beijing hub."
        );
        assert_eq!(
            entry(history, "resolve")["payload"],
            json!({"resolution": "We refunded the freight."})
        );
    }
    assert_eq!(
        actions(&staff).len(),
        12,
        "staff read everything, the internal comment and the escalation too: {staff}"
    );
    assert_eq!(
        entry(&staff, "triage")["payload"]["note"],
        "INTERNAL: courier has 3 prior warnings"
    );
    assert_eq!(entry(&staff, "triage")["actor"], admin_id.to_string());
    assert_eq!(
        entry(&staff, "reject")["payload"]["reason"],
        "INTERNAL: too generous"
    );
    assert_eq!(
        entry(&staff, "receive")["actor"],
        format!("customer:{CHEN}")
    );

    // Nor do the case and its evidence name the staff member to them.
    let link = json!({"kind": "system_record", "uri": "https://ops.example.com/scans/9"});
    let evidence_path = format!("/api/v1/complaints/{id}/evidence");
    assert_eq!(t.post(&admin, &evidence_path, &link).await.status(), 201);
    for (who, token) in [
        ("the merchant", t.merchant(merchant)),
        ("chen", chen.clone()),
    ] {
        let path = format!("/api/v1/complaints/{id}");
        let case = json_of(t.get(&token, &path).await, 200).await;
        assert_eq!(case["assignee_id"], Value::Null, "{who}: {case}");
        let listed = json_of(t.get(&token, &evidence_path).await, 200).await;
        assert_eq!(listed["data"][0]["added_by"], "staff", "{who}: {listed}");
    }
    let listed = json_of(t.get(&admin, &evidence_path).await, 200).await;
    assert_eq!(listed["data"][0]["added_by"], admin_id.to_string());
    let case = json_of(
        t.get(&admin, &format!("/api/v1/complaints/{id}")).await,
        200,
    )
    .await;
    assert_eq!(case["assignee_id"], assignee.to_string());
    t.stop().await;
}

/// Minutes from a case's receipt to its first-response and resolution deadlines.
fn allowances(case: &Value) -> (i64, i64) {
    let at = |f: &str| time(case["sla"][f].as_str().expect("deadline"));
    let received = time(case["created_at"].as_str().expect("created_at"));
    (
        (at("first_response_due") - received).num_minutes(),
        (at("resolution_due") - received).num_minutes(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_key_accounts_case_keeps_its_fast_lane_through_triage() {
    let t = Desk::spawn().await;
    let customer = Uuid::now_v7();
    t.key_account(customer, None).await;
    t.shipment_created(&shipment("KD900000002CN", Uuid::now_v7(), customer))
        .await;
    let mut body = complaint("billing");
    body["tracking_number"] = json!("KD900000002CN");
    let case = t.created(&t.admin(), &body).await;
    let id = case["id"].as_str().expect("id");
    assert_eq!(
        case["priority"], "high",
        "normal, and a key account one level up"
    );

    let triaged = t
        .acted(
            &t.admin(),
            id,
            "triage",
            json!({"category": "billing", "priority": "normal", "reasonable": true}),
        )
        .await;

    assert_eq!(
        triaged["priority"], "high",
        "the priority named at triage is raised for a key account, as at intake"
    );
    assert_eq!(
        allowances(&triaged),
        (120, 1440),
        "the deadlines of a high case stay"
    );
    body["category"] = json!("delay");
    let another = t.created(&t.admin(), &body).await;
    let lowered = t
        .acted(
            &t.admin(),
            another["id"].as_str().expect("id"),
            "triage",
            json!({"category": "delay", "priority": "low", "reasonable": true}),
        )
        .await;
    assert_eq!(
        (lowered["priority"].clone(), allowances(&lowered)),
        (json!("normal"), (240, 2880)),
        "low, one level up, with a normal case's deadlines"
    );
    t.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_report_without_a_customer_repeats_the_open_case_on_the_same_parcel_and_problem() {
    let t = Desk::spawn().await;
    let agent = t.token(Role::Agent);
    let mut body = complaint("delay");
    body["tracking_number"] = json!("KD900000003CN");
    let first = t.created(&agent, &body).await;
    assert_eq!(
        first["customer_id"],
        Value::Null,
        "a parcel nobody told the service of"
    );

    let again = json_of(t.create(&agent, &body).await, 200).await;

    assert_eq!(again["id"], first["id"], "the open case, not a second one");
    assert_eq!(again["duplicate_of"], first["id"]);
    assert_eq!(again["priority"], first["priority"], "no repeat raised it");
    body["category"] = json!("damaged");
    let other_problem = t.created(&agent, &body).await;
    assert_ne!(
        other_problem["id"], first["id"],
        "another problem is another case"
    );
    let listed = json_of(
        t.get(
            &t.admin(),
            "/api/v1/complaints?tracking_number=KD900000003CN&category=delay",
        )
        .await,
        200,
    )
    .await;
    assert_eq!(listed["data"].as_array().map(Vec::len), Some(1));
    t.stop().await;
}

/// A `multipart/form-data` upload of `file` as `image/png` to case `id`.
async fn upload(t: &Desk, id: &str, file: &[u8]) -> reqwest::Response {
    let boundary = "kuaidi-probe-boundary";
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"kind\"\r\n\r\nphoto\r\n\
         --{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"box.png\"\r\n\
         Content-Type: image/png\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(file);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    t.request(
        reqwest::Method::POST,
        &format!("/api/v1/complaints/{id}/evidence"),
        &t.admin(),
    )
    .header(
        "content-type",
        format!("multipart/form-data; boundary={boundary}"),
    )
    .body(body)
    .send()
    .await
    .expect("sent")
}

/// Evidence by reference to case `id`.
async fn add_link(t: &Desk, id: &str) -> reqwest::Response {
    let body = json!({"kind": "system_record", "uri": "https://ops.example.com/scans/1"});
    t.post(
        &t.admin(),
        &format!("/api/v1/complaints/{id}/evidence"),
        &body,
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_empty_upload_is_422_and_a_closed_case_takes_no_evidence_until_reopened() {
    let t = Desk::spawn().await;
    let id = &t.opened("damaged").await;

    assert_eq!(
        refused_fields(upload(&t, id, b"").await).await,
        vec!["file"]
    );
    t.to_resolving(id).await;
    t.refunded(id).await;
    assert_eq!(
        add_link(&t, id).await.status(),
        201,
        "a case awaiting feedback (solved) still takes evidence"
    );
    t.acted(
        &t.admin(),
        id,
        "close",
        json!({"resolution_code": "refunded"}),
    )
    .await;

    let closed = expect_problem(add_link(&t, id).await, 409).await;
    let closed_upload = upload(&t, id, b"\x89PNG\r\n\x1a\n a photo").await;

    assert_eq!(closed["code"], "case_closed", "{closed}");
    assert_eq!(closed["allowed_actions"], json!(["reopen"]), "{closed}");
    assert_eq!(closed_upload.status(), 409);
    t.acted(
        &t.admin(),
        id,
        "reopen",
        json!({"reason": "the customer found more damage"}),
    )
    .await;
    assert_eq!(
        add_link(&t, id).await.status(),
        201,
        "reopened, it takes evidence again"
    );
    let evidence = json_of(
        t.get(&t.admin(), &format!("/api/v1/complaints/{id}/evidence"))
            .await,
        200,
    )
    .await;
    assert_eq!(evidence["data"].as_array().map(Vec::len), Some(2));
    t.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_receipt_window_that_ends_before_it_starts_is_422_naming_both_ends() {
    let t = Desk::spawn().await;
    t.opened("delay").await;
    let list =
        |from: &str, to: &str| format!("/api/v1/complaints?received_from={from}&received_to={to}");

    let backwards = t
        .get(
            &t.admin(),
            &list("2026-12-02T00:00:00Z", "2026-12-01T00:00:00Z"),
        )
        .await;

    assert_eq!(
        refused_fields(backwards).await,
        vec!["received_from", "received_to"]
    );
    let forwards = json_of(
        t.get(
            &t.admin(),
            &list("2000-01-01T00:00:00Z", "2100-01-01T00:00:00Z"),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(forwards["data"].as_array().map(Vec::len), Some(1));
    let empty = t
        .get(
            &t.admin(),
            &list("2026-12-01T00:00:00Z", "2026-12-01T00:00:00Z"),
        )
        .await;
    assert_eq!(empty.status(), 200, "an empty window is a window");
    t.stop().await;
}

/// A PATCH of improvement action `path` with `If-Match: etag`.
async fn patch_if(t: &Desk, path: &str, etag: &str, body: &Value) -> reqwest::Response {
    t.request(reqwest::Method::PATCH, path, &t.admin())
        .header("if-match", etag)
        .json(body)
        .send()
        .await
        .expect("sent")
}

fn etag_of(resp: &reqwest::Response) -> String {
    resp.headers()["etag"].to_str().expect("etag").to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_improvement_patch_that_changes_nothing_keeps_its_version_and_unknown_fields_are_422() {
    let t = Desk::spawn().await;
    let created = t
        .post(
            &t.admin(),
            "/api/v1/improvement-actions",
            &json!({"root_cause": "training", "goal": "courtesy"}),
        )
        .await;
    let tag = etag_of(&created);
    let created = json_of(created, 201).await;
    let path = format!(
        "/api/v1/improvement-actions/{}",
        created["id"].as_str().expect("id")
    );

    for nothing in [json!({}), json!({"goal": "courtesy", "status": "planned"})] {
        let resp = patch_if(&t, &path, &tag, &nothing).await;
        assert_eq!(etag_of(&resp), tag, "the same version after {nothing}");
        assert_eq!(json_of(resp, 200).await, created, "unchanged by {nothing}");
    }
    let misspelt = patch_if(&t, &path, &tag, &json!({"stauts": "done", "version": 9})).await;

    assert_eq!(refused_fields(misspelt).await, vec!["stauts", "version"]);
    let changed = patch_if(&t, &path, &tag, &json!({"status": "in_progress"})).await;
    assert_ne!(etag_of(&changed), tag, "a change is a new version");
    assert_eq!(json_of(changed, 200).await["version"], 2);
    t.stop().await;
}
