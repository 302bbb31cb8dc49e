//! The complaint desk end to end through the gateway: a case from intake to close with a
//! supervisor's approval, an SLA breach seen by moving the clock (and in the inbox of the
//! department's supervisor), a dissatisfied survey
//! reopening its case, a claim ageing past 30 days, and a case opened in the app by the
//! sender of a parcel (the customer file holding their phone, learnt from the customers
//! service's events).

use chrono::{Duration, DurationRound, Utc};
use kuaidi_shared::auth::Role;
use kuaidi_shared::clock::Clock;
use kuaidi_shared::testing::expect_json as json_of;
use kuaidi_shared::testing::{eventually, poll_json};
use kuaidi_tests::Suite;
use serde_json::{json, Value};
use uuid::Uuid;

/// Posts an action that must succeed; the updated case.
async fn act(suite: &Suite, token: &str, id: &str, action: &str, body: Value) -> Value {
    json_of(
        suite
            .post(
                token,
                &format!("/api/v1/complaints/{id}/actions/{action}"),
                &body,
            )
            .await,
        200,
    )
    .await
}

/// Opens a case and takes it to `awaiting_feedback` with a supervisor's approval.
async fn resolved_case(suite: &Suite, admin: &str) -> Value {
    let body = json!({"type": "complaint", "channel": "phone", "category": "delay",
        "description": "Three days late and nobody called."});
    let case = json_of(suite.post(admin, "/api/v1/complaints", &body).await, 201).await;
    let id = case["id"].as_str().expect("id");
    act(
        suite,
        admin,
        id,
        "triage",
        json!({"category": "delay", "reasonable": true,
        "note": "scan gap at SHA01", "reply": "We are on it."}),
    )
    .await;
    act(
        suite,
        admin,
        id,
        "assign",
        json!({"assignee_id": Uuid::now_v7(), "department": "operations"}),
    )
    .await;
    act(suite, admin, id, "investigate", json!({})).await;
    act(
        suite,
        admin,
        id,
        "propose",
        json!({"measures": ["apology", "compensation"], "plan": "refund",
        "report": {"content": "held at hub", "process": "scans checked",
                   "evidence_analysis": "72 h gap", "conclusion": "hub fault"}}),
    )
    .await;
    let supervisor = suite.env.token(Role::Supervisor, None);
    assert_eq!(
        suite
            .post(
                &suite.env.token(Role::Agent, None),
                &format!("/api/v1/complaints/{id}/actions/approve"),
                &json!({})
            )
            .await
            .status(),
        403,
        "agents may not approve"
    );
    act(suite, &supervisor, id, "approve", json!({"reason": "fair"})).await;
    act(
        suite,
        admin,
        id,
        "resolve",
        json!({"resolution": "freight refunded",
        "customer_notified_at": Utc::now().to_rfc3339()}),
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_case_goes_from_intake_to_close_with_a_supervisors_approval() {
    let suite = Suite::start().await;
    let admin = suite.admin_token().await;

    let resolved = resolved_case(&suite, &admin).await;
    let id = resolved["id"].as_str().expect("id");
    assert_eq!(resolved["status"], "awaiting_feedback");
    assert!(resolved["survey_link"].is_string());
    let illegal = suite
        .post(
            &admin,
            &format!("/api/v1/complaints/{id}/actions/investigate"),
            &json!({}),
        )
        .await;
    let problem = json_of(illegal, 409).await;
    assert_eq!(
        problem["allowed_actions"],
        json!(["close", "reopen", "escalate", "comment"])
    );
    // The SPEC table's body, nothing more.
    let closed = act(
        &suite,
        &admin,
        id,
        "close",
        json!({"resolution_code": "compensated"}),
    )
    .await;

    assert_eq!(closed["status"], "closed");
    let incomplete = suite
        .post(
            &admin,
            &format!("/api/v1/complaints/{id}/actions/resolve"),
            &json!({}),
        )
        .await;
    assert_eq!(
        incomplete.status(),
        409,
        "an illegal action is a 409 whatever its body"
    );
    assert!(closed["sla"]["first_responded_at"].is_string());
    let history = json_of(
        suite
            .get(&admin, &format!("/api/v1/complaints/{id}/history"))
            .await,
        200,
    )
    .await;
    let actions = kuaidi_shared::testing::strings(&history["data"], "action");
    assert_eq!(
        actions,
        vec![
            "receive",
            "triage",
            "assign",
            "investigate",
            "propose",
            "approve",
            "resolve",
            "close"
        ]
    );
    let queue = json_of(
        suite.get(&admin, "/api/v1/complaints?status=closed").await,
        200,
    )
    .await;
    assert_eq!(queue["data"][0]["id"], id);
    suite.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_sla_breach_is_seen_by_moving_the_clock() {
    let start = Utc::now()
        .duration_trunc(Duration::seconds(1))
        .expect("time");
    let suite = Suite::start_with_clock(Clock::manual(start)).await;
    let admin = suite.admin_token().await;
    let supervisor = supervisor_of_customer_service(&suite, &admin).await;
    let body = json!({"type": "complaint", "channel": "weibo", "category": "damaged", "priority": "urgent",
        "description": "Box crushed, posted on weibo."});
    let case = json_of(suite.post(&admin, "/api/v1/complaints", &body).await, 201).await;
    let id = case["id"].as_str().expect("id").to_owned();

    suite.clock.advance(Duration::minutes(31));

    let path = format!("/api/v1/complaints/{id}");
    let breached = poll_json(
        std::time::Duration::from_secs(15),
        "the breach",
        || suite.get(&admin, &path),
        |case| (case["sla"]["breached"] == true).then_some(case),
    )
    .await;
    assert_eq!(
        breached["sla"]["warned"], true,
        "the 80 % warning came first"
    );
    assert_eq!(
        breached["escalation_level"], 1,
        "the breach escalated one level"
    );
    let queue = json_of(
        suite.get(&admin, "/api/v1/complaints?sla=breached").await,
        200,
    )
    .await;
    assert_eq!(queue["data"][0]["id"], id.as_str());
    let inbox = json_of(suite.get(&supervisor, "/api/v1/notifications").await, 200).await;
    assert_eq!(
        inbox["data"][0]["complaint_id"],
        id.as_str(),
        "the breach reached the supervisor of the receiving department"
    );
    suite.stop().await;
}

/// A supervisor user of the gateway, named supervisor of customer service in the complaint
/// desk's directory; their token.
async fn supervisor_of_customer_service(suite: &Suite, admin: &str) -> String {
    let user = json_of(
        suite
            .post(
                admin,
                "/api/v1/users",
                &json!({"username": "desk-supervisor", "password": "a long enough password 42",
                        "role": "supervisor", "display_name": "值班主管"}),
            )
            .await,
        201,
    )
    .await;
    let resp = suite
        .env
        .http
        .put(suite.url("/api/v1/departments/customer_service"))
        .bearer_auth(admin)
        .json(&json!({"supervisor_id": user["id"], "members": []}))
        .send()
        .await
        .expect("sent");
    json_of(resp, 200).await;
    suite
        .access_token("desk-supervisor", "a long enough password 42")
        .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_dissatisfied_survey_reopens_the_case() {
    let suite = Suite::start().await;
    let admin = suite.admin_token().await;
    let resolved = resolved_case(&suite, &admin).await;
    let id = resolved["id"].as_str().expect("id");

    let agent = suite.env.token(Role::Agent, None);
    let survey = json_of(suite.post(&agent, &format!("/api/v1/complaints/{id}/survey"),
        &json!({"overall": 1, "speed": 2, "effectiveness": 1, "attitude": 3, "suggestion": "call back"})).await, 201).await;

    assert_eq!(survey["reopened"], true);
    let case = json_of(
        suite.get(&admin, &format!("/api/v1/complaints/{id}")).await,
        200,
    )
    .await;
    assert_eq!(case["status"], "reopened");
    assert_eq!(case["satisfaction"], 1);
    let out_of_range = suite
        .post(
            &agent,
            &format!("/api/v1/complaints/{id}/survey"),
            &json!({"overall": 9}),
        )
        .await;
    assert_eq!(out_of_range.status(), 422);
    suite.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_claim_left_unsettled_ages_past_30_days_into_the_overdue_report() {
    let start = Utc::now()
        .duration_trunc(Duration::seconds(1))
        .expect("time");
    let suite = Suite::start_with_clock(Clock::manual(start)).await;
    let admin = suite.admin_token().await;
    let shipment = json!({
        "recipient": {"name": "张三丰", "phone": "13812345678", "address": "建国路 88 号", "city": "北京"},
        "origin": {"city": "上海", "hub_code": "SHA01"}, "destination": {"city": "北京", "hub_code": "PEK02"},
        "service_level": "express", "weight_kg": 1.0, "freight": {"amount": "15.00", "currency": "CNY"},
        "declared_value": {"amount": "300.00", "currency": "CNY"}, "merchant_id": Uuid::now_v7()});
    let created = json_of(
        suite.post(&admin, "/api/v1/shipments", &shipment).await,
        201,
    )
    .await;
    let tn = created["tracking_number"].as_str().expect("tn").to_owned();
    let claim_body = json!({"tracking_number": tn, "kind": "lost",
        "amount_claimed": {"amount": "500.00", "currency": "CNY"}});
    let claim = eventually(
        std::time::Duration::from_secs(15),
        "the shipment known to complaints",
        || async {
            let resp = suite.post(&admin, "/api/v1/claims", &claim_body).await;
            (resp.status() == 201).then_some(resp)
        },
    )
    .await;
    let claim = json_of(claim, 201).await;
    assert_eq!(
        claim["amount_payable"],
        json!({"amount": "300.00", "currency": "CNY"}),
        "insured: the declared value"
    );

    suite.clock.advance(Duration::days(31));

    let overdue = poll_json(
        std::time::Duration::from_secs(15),
        "the claim in the ageing report",
        || suite.get(&admin, "/api/v1/claims?overdue=true"),
        |page| (page["data"][0]["escalated"] == true).then_some(page),
    )
    .await;
    assert_eq!(overdue["data"][0]["id"], claim["id"]);
    assert_eq!(overdue["data"][0]["overdue"], true);
    suite.stop().await;
}

/// A parcel `merchant` sends to someone in 杭州, by its customer `shipper` if any.
fn parcel(shipper: Option<&str>) -> Value {
    json!({
        "recipient": {"name": "王五", "phone": "13900001111", "address": "人民路 1 号", "city": "杭州"},
        "origin": {"city": "上海"}, "destination": {"city": "杭州"},
        "service_level": "standard", "weight_kg": 2.0,
        "freight": {"amount": "8.00", "currency": "CNY"}, "shipper_customer_id": shipper})
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_customer_opens_a_case_in_the_app_on_a_parcel_they_sent() {
    let suite = Suite::start().await;
    let admin = suite.admin_token().await;
    let chen = suite.sender(&admin).await;
    let shipper = chen.file["id"].as_str().expect("id");
    let body = parcel(Some(shipper));
    let sent = suite
        .once_known("the merchant's customer known to shipments", 201, || {
            suite.post(&chen.merchant, "/api/v1/shipments", &body)
        })
        .await;
    let stranger = suite.ship(&chen.merchant, &parcel(None)).await;
    let report = |tn: &Value| {
        json!({"type": "complaint", "channel": "app", "category": "delay",
            "description": "My parcel to 杭州 has not moved for three days.",
            "tracking_number": tn})
    };

    let opened = eventually(
        std::time::Duration::from_secs(15),
        "the parcel and the sender's phone known to complaints",
        || async {
            let body = report(&sent["tracking_number"]);
            let resp = suite.post(&chen.token, "/api/v1/complaints", &body).await;
            (resp.status() == 201).then_some(resp)
        },
    )
    .await;
    let opened = json_of(opened, 201).await;

    assert_eq!(opened["customer_id"], chen.file["id"]);
    assert_eq!(opened["merchant_id"], json!(chen.merchant_id));
    let mut body = report(&stranger["tracking_number"]);
    body["channel"] = json!("phone");
    eventually(
        std::time::Duration::from_secs(15),
        "the stranger's parcel known to complaints (the desk's case on it names its merchant)",
        || async {
            let case: Value = suite
                .post(&admin, "/api/v1/complaints", &body)
                .await
                .json()
                .await
                .ok()?;
            (case["merchant_id"] == json!(chen.merchant_id)).then_some(())
        },
    )
    .await;
    body["channel"] = json!("app");
    let refused = suite.post(&chen.token, "/api/v1/complaints", &body).await;
    assert_eq!(
        refused.status(),
        404,
        "a parcel neither sent to nor by them"
    );
    let listed = json_of(suite.get(&chen.token, "/api/v1/complaints").await, 200).await;
    assert_eq!(listed["data"].as_array().map(Vec::len), Some(1));
    assert_eq!(listed["data"][0]["id"], opened["id"]);
    suite.stop().await;
}

/// Posts a photo of `size` bytes as a case's evidence through the gateway.
async fn upload_photo(suite: &Suite, token: &str, id: &str, size: usize) -> reqwest::Response {
    upload(
        suite,
        token,
        id,
        ("kuaidi-e2e-boundary", vec![0x89; size]),
        None,
    )
    .await
}

/// Posts `content` as a photo of a case, its multipart body written with `boundary`, under an
/// `Idempotency-Key` if one is given.
async fn upload(
    suite: &Suite,
    token: &str,
    id: &str,
    (boundary, content): (&str, Vec<u8>),
    key: Option<&str>,
) -> reqwest::Response {
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"kind\"\r\n\r\nphoto\r\n\
         --{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"box.png\"\r\n\
         Content-Type: image/png\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(&content);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    let mut req = suite
        .env
        .http
        .post(suite.url(&format!("/api/v1/complaints/{id}/evidence")))
        .bearer_auth(token)
        .header(
            "content-type",
            format!("multipart/form-data; boundary={boundary}"),
        );
    if let Some(key) = key {
        req = req.header("idempotency-key", key);
    }
    req.body(body).send().await.expect("request sent")
}

/// Every HTTP client writes a multipart body with a boundary of its own per request: a retried
/// upload under the same `Idempotency-Key` is the same request all the same, and replays.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_retried_upload_with_another_boundary_replays_under_its_idempotency_key() {
    let suite = Suite::start().await;
    let admin = suite.admin_token().await;
    let body = json!({"type": "complaint", "channel": "phone", "category": "damaged",
        "description": "The box arrived crushed."});
    let case = json_of(suite.post(&admin, "/api/v1/complaints", &body).await, 201).await;
    let id = case["id"].as_str().expect("id");
    let photo = || b"\x89PNG photo of a crushed box".to_vec();

    let key = Some("upload-1");
    let first = upload(&suite, &admin, id, ("----client-a-1", photo()), key).await;
    let first = json_of(first, 201).await;
    let retried = upload(&suite, &admin, id, ("----client-b-2", photo()), key).await;
    let retried = json_of(retried, 201).await;
    assert_eq!(retried["id"], first["id"], "the first upload's answer");
    let other = upload(
        &suite,
        &admin,
        id,
        ("----client-c-3", b"other".to_vec()),
        key,
    )
    .await;
    let problem = kuaidi_shared::testing::expect_problem(other, 422).await;
    assert_eq!(problem["code"], "idempotency_key_reused");
    let listed = json_of(
        suite
            .get(&admin, &format!("/api/v1/complaints/{id}/evidence"))
            .await,
        200,
    )
    .await;
    assert_eq!(listed["data"].as_array().map(Vec::len), Some(1), "{listed}");
    suite.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_upload_up_to_the_complaint_desks_limit_passes_the_gateway_and_a_larger_one_is_413() {
    let suite = Suite::start().await;
    let admin = suite.admin_token().await;
    let body = json!({"type": "complaint", "channel": "phone", "category": "damaged",
        "description": "The box arrived crushed."});
    let case = json_of(suite.post(&admin, "/api/v1/complaints", &body).await, 201).await;
    let id = case["id"].as_str().expect("id");

    // 9 MiB: over the gateway's old 8 MiB guard, under the desk's own 10 MB.
    let photo = json_of(upload_photo(&suite, &admin, id, 9 << 20).await, 201).await;
    assert_eq!(photo["kind"], "photo");
    let refused = upload_photo(&suite, &admin, id, 10_485_760 + 1).await;
    // over the desk's limit
    let problem = kuaidi_shared::testing::expect_problem(refused, 413).await;
    assert_eq!(
        problem["type"],
        "https://kuaidi.dev/problems/payload_too_large"
    );
    suite.stop().await;
}
