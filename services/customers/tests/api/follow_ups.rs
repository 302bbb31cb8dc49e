//! Interactions (by hand and from events) and follow-ups (by hand and by rule).

use chrono::Duration;
use kuaidi_shared::auth::Role;
use kuaidi_shared::events::catalogue::{ComplaintClosedV1, ComplaintReceivedV1, SurveySubmittedV1};
use kuaidi_shared::testing::{expect_json, poll_json, publish};
use serde_json::{json, Value};
use std::time::Duration as StdDuration;
use uuid::Uuid;

use crate::helpers::{acme, at, create, emit, id_of, spawn, spawn_at, TestApp};
use crate::notifications::notification;

/// A second customer, who should see none of the first one's events.
pub(crate) async fn bystander(app: &TestApp) -> Uuid {
    id_of(
        &create(
            app,
            &json!({"kind": "individual", "name": "旁人", "phones": ["13700001111"]}),
        )
        .await,
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn interactions_are_logged_validated_and_listed_newest_first_in_pages() {
    let app = spawn().await;
    let admin = app.token(Role::Admin);
    let id = id_of(&create(&app, &acme()).await);
    let path = format!("/api/v1/customers/{id}/interactions");
    for (i, when) in [
        "2026-01-01T09:00:00Z",
        "2026-03-01T09:00:00Z",
        "2026-02-01T09:00:00Z",
    ]
    .iter()
    .enumerate()
    {
        let body = json!({"channel": "wechat", "direction": "out", "kind": "care", "summary": format!("touch {i}"), "occurred_at": when});
        assert_eq!(
            expect_json(app.post(&admin, &path, &body).await, 201).await["kind"],
            "care"
        );
    }
    let first = expect_json(app.get(&admin, &format!("{path}?limit=2")).await, 200).await;
    let summaries = kuaidi_shared::testing::strings(&first["data"], "summary");
    assert_eq!(summaries, vec!["touch 1", "touch 2"]);
    let cursor = first["next_cursor"].as_str().expect("more");
    let second = expect_json(
        app.get(&admin, &format!("{path}?limit=2&cursor={cursor}"))
            .await,
        200,
    )
    .await;
    assert_eq!(second["data"][0]["summary"], "touch 0");

    let bad =
        json!({"channel": "pigeon", "direction": "sideways", "kind": "gossip", "summary": " "});
    let problem = expect_json(app.post(&admin, &path, &bad).await, 422).await;
    assert_eq!(
        problem["errors"].as_array().map(Vec::len),
        Some(4),
        "every invalid field at once"
    );
    app.app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_closed_complaint_becomes_an_interaction_and_one_callback_three_days_later() {
    let now = at("2026-05-10T08:00:00Z");
    let app = spawn_at(now).await;
    let admin = app.token(Role::Admin);
    let owner = Uuid::now_v7();
    let mut body = acme();
    body["owner_id"] = json!(owner);
    let id = id_of(&create(&app, &body).await);
    let complaint = Uuid::now_v7();
    let received = ComplaintReceivedV1 {
        complaint_id: complaint,
        number: "C-1".into(),
        type_: "complaint".into(),
        channel: "phone".into(),
        category: Some("delay".into()),
        priority: "normal".into(),
        customer_id: Some(id),
        merchant_id: None,
        tracking_number: None,
        city: None,
        received_at: now - Duration::days(2),
        proactive: false,
    };
    let closed = ComplaintClosedV1 {
        complaint_id: complaint,
        number: "C-1".into(),
        customer_id: Some(id),
        merchant_id: None,
        tracking_number: None,
        category: Some("delay".into()),
        city: None,
        assignee_id: None,
        received_at: now - Duration::days(2),
        first_responded_at: None,
        closed_at: now,
        resolution_code: Some("resolved".into()),
        root_cause: None,
        type_: "complaint".into(),
    };
    emit(&app, "complaints", complaint, &received, now).await;
    emit(&app, "complaints", complaint, &closed, now).await;
    emit(&app, "complaints", complaint, &closed, now).await; // sent twice: still one callback
    let survey = SurveySubmittedV1 {
        complaint_id: complaint,
        number: "C-1".into(),
        customer_id: Some(id),
        merchant_id: None,
        tracking_number: None,
        category: None,
        city: None,
        assignee_id: None,
        survey_id: Uuid::now_v7(),
        overall: 4,
        speed: None,
        effectiveness: None,
        attitude: None,
        via: "customer".into(),
        submitted_at: now,
    };
    emit(&app, "complaints", complaint, &survey, now).await;
    let notice = notification(Some(id), "KD1");
    emit(&app, "shipments", id, &notice, now).await;

    let url = format!("/api/v1/customers/{id}");
    let c: Value = poll_json(
        StdDuration::from_secs(10),
        "five interactions and the survey",
        || app.get(&admin, &url),
        |c| {
            (c["interactions"].as_array()?.len() == 5 && c["stats"]["csat_avg"] == 4.0).then_some(c)
        },
    )
    .await;
    let kinds = kuaidi_shared::testing::strings(&c["interactions"], "kind");
    assert!(
        kinds.contains(&"complaint")
            && kinds.contains(&"survey")
            && kinds.contains(&"notification"),
        "{kinds:?}"
    );
    assert_eq!(c["stats"]["complaints_open"], 0);
    assert_eq!(c["stats"]["complaints_12m"], 1);
    let tasks = c["follow_ups"].as_array().expect("follow-ups");
    assert_eq!(tasks.len(), 1, "one callback however often the event comes");
    assert_eq!(tasks[0]["rule"], "complaint_callback");
    assert_eq!(tasks[0]["assignee_id"], owner.to_string());
    assert_eq!(tasks[0]["due_at"], "2026-05-13T08:00:00Z");
    app.app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_received_complaint_counts_as_open_once_and_shows_in_the_timeline() {
    let now = at("2026-05-10T08:00:00Z");
    let app = spawn_at(now).await;
    let admin = app.token(Role::Admin);
    let id = id_of(&create(&app, &acme()).await);
    let other = bystander(&app).await;
    let received = |complaint, customer| ComplaintReceivedV1 {
        complaint_id: complaint,
        number: "C-7".into(),
        type_: "complaint".into(),
        channel: "app".into(),
        category: Some("damaged".into()),
        priority: "high".into(),
        customer_id: Some(customer),
        merchant_id: None,
        tracking_number: Some("KD7".into()),
        city: None,
        received_at: now - Duration::hours(1),
        proactive: false,
    };
    let complaint = Uuid::now_v7();
    let event =
        kuaidi_shared::testing::relayed("complaints", complaint, &received(complaint, id), now);
    publish(&app.env.amqp, &event).await;
    publish(&app.env.amqp, &event).await; // redelivered
    let barrier = Uuid::now_v7();
    emit(&app, "complaints", barrier, &received(barrier, other), now).await;
    let url = format!("/api/v1/customers/{other}");
    poll_json(
        StdDuration::from_secs(10),
        "the other customer's case",
        || app.get(&admin, &url),
        |c| (c["stats"]["complaints_open"] == 1).then_some(()),
    )
    .await;

    let c = expect_json(
        app.get(&admin, &format!("/api/v1/customers/{id}")).await,
        200,
    )
    .await;
    assert_eq!(c["stats"]["complaints_open"], 1, "open, counted once");
    assert_eq!(c["stats"]["complaints_12m"], 1);
    let complaints: Vec<&Value> = c["interactions"]
        .as_array()
        .expect("timeline")
        .iter()
        .filter(|i| i["kind"] == "complaint")
        .collect();
    assert_eq!(complaints.len(), 1, "one timeline entry: {complaints:?}");
    app.app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn follow_ups_move_only_from_open_to_done_or_cancelled() {
    let app = spawn().await;
    let admin = app.token(Role::Admin);
    let me = Uuid::now_v7();
    let id = id_of(&create(&app, &acme()).await);
    let task = app.post(&admin, &format!("/api/v1/customers/{id}/follow-ups"), &json!({"due_at": "2026-12-24T09:00:00Z", "reason": "year-end quote", "assignee_id": me})).await;
    let task = expect_json(task, 201).await;
    let path = format!("/api/v1/follow-ups/{}", task["id"].as_str().expect("id"));
    let empty = app
        .post(
            &admin,
            &format!("/api/v1/customers/{id}/follow-ups"),
            &json!({}),
        )
        .await;
    let fields: Vec<String> = expect_json(empty, 422).await["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .filter_map(|e| e["field"].as_str().map(str::to_owned))
        .collect();
    assert_eq!(
        fields,
        vec!["reason", "due_at"],
        "both missing fields at once"
    );

    let mine = expect_json(
        app.get(
            &admin,
            &format!(
                "/api/v1/follow-ups?assignee={me}&due_before=2027-01-01T00:00:00Z&status=open"
            ),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(mine["data"][0]["reason"], "year-end quote");
    assert_eq!(
        app.patch(&admin, &path, &json!({"status": "open"}))
            .await
            .status(),
        409
    );
    assert_eq!(
        app.patch(&admin, &path, &json!({"status": "postponed"}))
            .await
            .status(),
        422
    );
    let done = expect_json(
        app.patch(
            &admin,
            &path,
            &json!({"status": "done", "outcome": "quote accepted"}),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(done["status"], "done");
    assert_eq!(done["outcome"], "quote accepted");
    assert!(done["closed_at"].is_string());
    assert_eq!(
        app.patch(&admin, &path, &json!({"status": "cancelled"}))
            .await
            .status(),
        409,
        "done is final"
    );
    assert_eq!(
        app.get(&admin, "/api/v1/follow-ups?status=later")
            .await
            .status(),
        422
    );
    app.app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn birthday_care_is_planned_once_and_only_with_consent() {
    let now = at("2026-03-10T08:00:00Z");
    let app = spawn_at(now).await;
    let admin = app.token(Role::Admin);
    let mut ids = Vec::new();
    for (name, care) in [("With consent", true), ("Without", false)] {
        let id = id_of(&create(&app, &json!({"kind": "individual", "name": name})).await);
        let path = format!("/api/v1/customers/{id}");
        app.put(&admin, &format!("{path}/consents"), &json!({"consents": {"profile_extras": {"granted": true}, "care_messages": {"granted": care}}})).await;
        expect_json(
            app.patch(&admin, &path, &json!({"birthday": "1985-03-14"}))
                .await,
            200,
        )
        .await;
        ids.push(id);
    }
    let tasks: Value = poll_json(
        StdDuration::from_secs(10),
        "birthday care",
        || app.get(&admin, "/api/v1/follow-ups?status=open"),
        |page| (!page["data"].as_array()?.is_empty()).then_some(page),
    )
    .await;
    app.clock.advance(Duration::hours(1));
    let again = expect_json(app.get(&admin, "/api/v1/follow-ups?status=open").await, 200).await;
    assert_eq!(tasks["data"].as_array().map(Vec::len), Some(1));
    assert_eq!(again["data"].as_array().map(Vec::len), Some(1), "still one");
    assert_eq!(tasks["data"][0]["customer_id"], ids[0].to_string());
    assert_eq!(tasks["data"][0]["rule"], "birthday_care");
    assert_eq!(tasks["data"][0]["due_at"], "2026-03-14T00:00:00Z");
    app.app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn touchpoints_logged_on_a_merged_duplicate_go_to_its_survivor() {
    let app = spawn().await;
    let admin = app.token(Role::Admin);
    let survivor = id_of(&create(&app, &json!({"kind": "individual", "name": "主"})).await);
    let duplicate = id_of(&create(&app, &json!({"kind": "individual", "name": "副"})).await);
    let merge = app
        .post(
            &admin,
            &format!("/api/v1/customers/{survivor}/merge"),
            &json!({"duplicate_id": duplicate}),
        )
        .await;
    expect_json(merge, 200).await;

    let call = json!({"channel": "phone", "direction": "in", "kind": "inquiry",
        "summary": "Called about an old parcel"});
    let logged = app
        .post(
            &admin,
            &format!("/api/v1/customers/{duplicate}/interactions"),
            &call,
        )
        .await;
    let location = logged
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let logged = expect_json(logged, 201).await;
    assert_eq!(logged["customer_id"], survivor.to_string());
    assert_eq!(
        location,
        Some(format!(
            "/api/v1/customers/{survivor}/interactions/{}",
            logged["id"].as_str().expect("id")
        )),
        "the entry, on the survivor's timeline"
    );
    let task = json!({"due_at": "2030-01-01T00:00:00Z", "reason": "call back"});
    let task = app
        .post(
            &admin,
            &format!("/api/v1/customers/{duplicate}/follow-ups"),
            &task,
        )
        .await;
    assert_eq!(
        expect_json(task, 201).await["customer_id"],
        survivor.to_string()
    );

    let timeline = format!("/api/v1/customers/{survivor}/interactions");
    let timeline = expect_json(app.get(&admin, &timeline).await, 200).await;
    assert_eq!(timeline["data"][0]["summary"], "Called about an old parcel");
    app.app.stop().await;
}
