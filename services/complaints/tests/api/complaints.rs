//! Opening and reading feedback cases.

use chrono::{DateTime, Utc};
use kuaidi_shared::auth::Role;
use serde_json::{json, Value};
use std::time::Duration;
use uuid::Uuid;

use crate::helpers::{complaint, refused_fields, shipment, Desk as TestApp};

fn time(v: &Value) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(v.as_str().expect("a timestamp"))
        .expect("RFC 3339")
        .with_timezone(&Utc)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_case_is_numbered_given_sla_deadlines_and_announced_as_complaint_received() {
    let t = TestApp::spawn().await;
    let tap = t.env.tap().await;

    let resp = t.create(&t.admin(), &complaint("delay")).await;

    assert_eq!(resp.status(), 201);
    let location = resp.headers()["location"]
        .to_str()
        .expect("ascii")
        .to_owned();
    let case: Value = resp.json().await.expect("json");
    let id = case["id"].as_str().expect("id");
    assert_eq!(location, format!("/api/v1/complaints/{id}"));
    let received = time(&case["created_at"]);
    let day = received.format("%Y%m%d");
    assert_eq!(case["number"], format!("C{day}00001"), "C + day + counter");
    assert_eq!(case["status"], "received");
    assert_eq!(case["priority"], "normal", "delay by phone stays normal");
    assert_eq!(case["escalation_level"], 0);
    let sla = &case["sla"];
    assert_eq!(
        (time(&sla["first_response_due"]) - received).num_minutes(),
        240,
        "normal: 4 h to first response"
    );
    assert_eq!(
        (time(&sla["resolution_due"]) - received).num_minutes(),
        2880,
        "normal: 48 h to resolution"
    );
    assert_eq!(sla["first_responded_at"], Value::Null);
    assert_eq!(sla["warned"], false);
    assert_eq!(sla["breached"], false);
    assert!(
        case.get("duplicate_of").is_none(),
        "a new case repeats nothing"
    );

    let event = tap
        .next_of_type("complaint.received", Duration::from_secs(10))
        .await;
    assert_eq!(event.source, "/kuaidi/complaints");
    assert_eq!(event.subject.as_deref(), Some(id));
    assert_eq!(event.data["complaint_id"], id);
    assert_eq!(event.data["number"], case["number"]);
    assert_eq!(event.data["type"], "complaint");
    assert_eq!(event.data["category"], "delay");
    assert_eq!(event.data["priority"], "normal");
    t.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn case_numbers_count_up_within_the_day() {
    let t = TestApp::spawn().await;

    let first = t.created(&t.admin(), &complaint("delay")).await;
    let praise = json!({"type": "praise", "channel": "web", "description": "great courier"});
    let second = t.created(&t.admin(), &praise).await;

    let (first_day, first_count) = first["number"].as_str().expect("number").split_at(9);
    let (second_day, second_count) = second["number"].as_str().expect("number").split_at(9);
    assert_eq!(first_count, "00001");
    if first_day == second_day {
        assert_eq!(second_count, "00002", "the second case of the day");
    } else {
        assert_eq!(second_count, "00001", "a new day counts from 1 again");
    }
    t.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_enum_values_get_422_naming_each_field() {
    let t = TestApp::spawn().await;
    let body = json!({"type": "rant", "channel": "pigeon", "description": "x",
        "category": "mood", "priority": "asap"});

    let fields = refused_fields(t.create(&t.admin(), &body).await).await;

    assert_eq!(fields, vec!["type", "channel", "category", "priority"]);
    t.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn missing_required_fields_get_422_naming_each_field() {
    let t = TestApp::spawn().await;

    let fields = refused_fields(t.create(&t.admin(), &json!({})).await).await;

    assert_eq!(fields, vec!["type", "channel", "description"]);
    t.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn callers_without_a_token_get_401() {
    let t = TestApp::spawn().await;

    let resp = t
        .env
        .http
        .post(t.url("/api/v1/complaints"))
        .json(&complaint("delay"))
        .send()
        .await
        .expect("sent");

    assert_eq!(resp.status(), 401);
    assert_eq!(resp.headers()["content-type"], "application/problem+json");
    t.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn operators_may_neither_open_nor_read_cases() {
    let t = TestApp::spawn().await;
    let case = t.created(&t.admin(), &complaint("delay")).await;
    let id = case["id"].as_str().expect("id");
    let operator = t.env.token(Role::Operator, None);

    assert_eq!(t.create(&operator, &complaint("delay")).await.status(), 403);
    assert_eq!(t.case(&operator, id).await.status(), 403);
    let analyst = t.env.token(Role::Analyst, None);
    assert_eq!(
        t.create(&analyst, &complaint("delay")).await.status(),
        403,
        "analysts read, they do not open cases"
    );
    assert_eq!(t.case(&analyst, id).await.status(), 200);
    t.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_case_on_a_published_shipment_takes_its_merchant_customer_and_city() {
    let t = TestApp::spawn().await;
    let tap = t.env.tap().await;
    let (merchant, customer) = (Uuid::now_v7(), Uuid::now_v7());
    t.shipment_created(&shipment("KD473124829CN", merchant, customer))
        .await;

    let mut body = complaint("delay");
    body["tracking_number"] = json!(" kd473124829cn ");
    let case = t.created(&t.env.token(Role::Agent, None), &body).await;

    assert_eq!(case["tracking_number"], "KD473124829CN", "normalised");
    assert_eq!(case["merchant_id"], json!(merchant));
    assert_eq!(
        case["customer_id"],
        json!(customer),
        "the shipper, when not given"
    );
    let event = tap
        .next_of_type("complaint.received", Duration::from_secs(10))
        .await;
    assert_eq!(event.data["merchant_id"], json!(merchant));
    assert_eq!(
        event.data["city"], "北京",
        "the shipment's destination city"
    );

    let someone_else = Uuid::now_v7();
    body["customer_id"] = json!(someone_else);
    body["category"] = json!("packaging");
    let named = t.created(&t.admin(), &body).await;
    assert_eq!(
        named["customer_id"],
        json!(someone_else),
        "a given customer is kept"
    );
    assert_eq!(named["merchant_id"], json!(merchant));
    t.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn priority_is_derived_from_category_channel_and_repeats_on_the_same_shipment() {
    let t = TestApp::spawn().await;
    let tn = "SF1234567890";
    let with = |category: &str, channel: &str| {
        let mut b = complaint(category);
        b["channel"] = json!(channel);
        b["tracking_number"] = json!(tn);
        b
    };

    let damaged = t.created(&t.admin(), &with("damaged", "phone")).await;
    let repeat = t.created(&t.admin(), &with("delay", "phone")).await;
    // Another problem with the parcel: the same one within 24 h would be the open case again.
    let loud = t.created(&t.admin(), &with("missorted", "weibo")).await;
    let mut given = with("lost", "weibo");
    given["priority"] = json!("low");
    let given = t.created(&t.admin(), &given).await;

    assert_eq!(damaged["priority"], "high", "damaged is severe");
    assert_eq!(
        repeat["priority"], "high",
        "normal + a case on the shipment within 30 days"
    );
    assert_eq!(loud["priority"], "urgent", "normal + repeat + weibo");
    assert_eq!(given["priority"], "low", "a given priority is kept");
    let due = time(&damaged["sla"]["first_response_due"]);
    assert_eq!(
        (due - time(&damaged["created_at"])).num_minutes(),
        120,
        "high: 2 h to first response"
    );
    t.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_repeat_report_within_24_hours_returns_the_open_case_with_duplicate_of() {
    let t = TestApp::spawn().await;
    let tap = t.env.tap().await;
    let mut body = complaint("lost");
    body["customer_id"] = json!(Uuid::now_v7());
    body["tracking_number"] = json!("KD473124829CN");
    let first = t.created(&t.admin(), &body).await;
    tap.next_of_type("complaint.received", Duration::from_secs(10))
        .await;

    body["channel"] = json!("wechat");
    body["description"] = json!("Still nothing, calling again.");
    let again = t.create(&t.admin(), &body).await;

    assert_eq!(
        again.status(),
        200,
        "same customer, shipment and category within 24 h"
    );
    assert!(
        again.headers().get("location").is_none(),
        "nothing was created"
    );
    let again: Value = again.json().await.expect("json");
    assert_eq!(again["id"], first["id"]);
    assert_eq!(again["number"], first["number"]);
    assert_eq!(again["duplicate_of"], first["id"]);
    let id = first["id"].as_str().expect("id");
    let history: Value = t.history(&t.admin(), id).await.json().await.expect("json");
    let actions = kuaidi_shared::testing::strings(&history["data"], "action");
    assert_eq!(
        actions,
        vec!["receive", "duplicate_received"],
        "oldest first"
    );
    assert_eq!(history["data"][0]["from"], Value::Null);
    assert_eq!(history["data"][0]["to"], "received");
    assert_eq!(
        history["data"][1]["payload"]["description"],
        "Still nothing, calling again."
    );

    body["category"] = json!("damaged");
    assert_eq!(
        t.create(&t.admin(), &body).await.status(),
        201,
        "another category is another case"
    );
    let next = tap
        .next_of_type("complaint.received", Duration::from_secs(10))
        .await;
    assert_eq!(
        next.data["category"], "damaged",
        "the duplicate announced nothing: the next event is the damaged case's"
    );
    t.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn simultaneous_identical_reports_open_one_case() {
    let t = TestApp::spawn().await;
    let mut body = complaint("lost");
    body["customer_id"] = json!(Uuid::now_v7());
    body["tracking_number"] = json!("KD473124829CN");
    let (url, token) = (t.url("/api/v1/complaints"), t.admin());

    let requests: Vec<_> = (0..6)
        .map(|_| {
            let request = t.env.http.post(&url).bearer_auth(&token).json(&body);
            tokio::spawn(async move {
                let resp = request.send().await.expect("sent");
                let status = resp.status().as_u16();
                let case: Value = resp.json().await.expect("json");
                (status, case["id"].clone())
            })
        })
        .collect();
    let mut answers = Vec::new();
    for r in requests {
        answers.push(r.await.expect("request task"));
    }

    let created = answers.iter().filter(|(s, _)| *s == 201).count();
    assert_eq!(created, 1, "exactly one case opened, got {answers:?}");
    assert!(
        answers
            .iter()
            .all(|(s, id)| (*s == 201 || *s == 200) && *id == answers[0].1),
        "every report answered with the same case, got {answers:?}"
    );
    t.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn merchants_open_cases_for_their_own_shipments_only() {
    let t = TestApp::spawn().await;
    let (a, b) = (Uuid::now_v7(), Uuid::now_v7());
    t.shipment_created(&shipment("SF1234567890", a, Uuid::now_v7()))
        .await;
    let mut body = complaint("lost");
    body["channel"] = json!("api");
    body["tracking_number"] = json!("SF1234567890");

    let own = t.created(&t.merchant(a), &body).await;
    let others = t.create(&t.merchant(b), &body).await;
    body["tracking_number"] = json!("SF0000000000");
    let unknown = t.create(&t.merchant(a), &body).await;
    body.as_object_mut()
        .expect("object")
        .remove("tracking_number");
    let without = t.create(&t.merchant(a), &body).await;

    assert_eq!(own["merchant_id"], json!(a));
    assert_eq!(others.status(), 404, "another merchant's shipment");
    assert_eq!(
        unknown.status(),
        404,
        "a shipment this service has not heard of"
    );
    assert_eq!(refused_fields(without).await, vec!["tracking_number"]);
    t.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn merchants_read_their_own_cases_and_get_404_for_another_merchants() {
    let t = TestApp::spawn().await;
    let (a, b) = (Uuid::now_v7(), Uuid::now_v7());
    t.shipment_created(&shipment("SF1234567890", a, Uuid::now_v7()))
        .await;
    let mut body = complaint("lost");
    body["tracking_number"] = json!("SF1234567890");
    let case = t.created(&t.admin(), &body).await;
    let id = case["id"].as_str().expect("id");
    let unrelated = t.created(&t.admin(), &complaint("delay")).await;

    assert_eq!(t.case(&t.merchant(a), id).await.status(), 200);
    assert_eq!(t.history(&t.merchant(a), id).await.status(), 200);
    assert_eq!(t.case(&t.merchant(b), id).await.status(), 404);
    assert_eq!(t.history(&t.merchant(b), id).await.status(), 404);
    let unrelated = unrelated["id"].as_str().expect("id");
    assert_eq!(
        t.case(&t.merchant(a), unrelated).await.status(),
        404,
        "a case without a merchant is nobody's tenant data"
    );
    t.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_case_carries_an_etag_and_an_unchanged_one_is_304() {
    let t = TestApp::spawn().await;
    let case = t.created(&t.admin(), &complaint("delay")).await;
    let id = case["id"].as_str().expect("id");

    let first = t.case(&t.admin(), id).await;
    assert_eq!(first.status(), 200);
    let etag = first.headers()["etag"].to_str().expect("ascii").to_owned();
    let read: Value = first.json().await.expect("json");
    assert_eq!(read["number"], case["number"]);
    let again = t
        .revalidate(&t.admin(), &format!("/api/v1/complaints/{id}"), &etag)
        .await;

    assert_eq!(again.status(), 304);
    assert_eq!(
        t.case(&t.admin(), &Uuid::now_v7().to_string())
            .await
            .status(),
        404
    );
    t.stop().await;
}
