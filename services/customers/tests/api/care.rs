//! Holiday care: planned by the care job for customers who consented to care messages, once
//! per holiday and year; care planned under a consent is cancelled when it is withdrawn, and a
//! birthday-care task (due on the birthday) is shown only to whoever sees the birthday; care
//! a withdrawn consent stopped comes back, once, when it is given again.

use chrono::Duration;
use kuaidi_shared::auth::Role;
use kuaidi_shared::testing::{expect_json, poll_json, TestApp};
use serde_json::{json, Value};
use std::time::Duration as StdDuration;
use uuid::Uuid;

use crate::helpers::{at, create, id_of, spawn_at};

/// A customer (owned by `owner`, if any) who did or did not consent to care messages.
async fn customer(app: &TestApp, name: &str, owner: Option<Uuid>, care: bool) -> Uuid {
    let id = id_of(
        &create(
            app,
            &json!({"kind": "individual", "name": name, "owner_id": owner}),
        )
        .await,
    );
    let consents = json!({"consents": {"care_messages": {"granted": care}}});
    let path = format!("/api/v1/customers/{id}/consents");
    expect_json(
        app.put(&app.token(Role::Admin), &path, &consents).await,
        200,
    )
    .await;
    id
}

/// The open holiday-care tasks, once `ready` holds for them.
async fn holiday_tasks(app: &TestApp, what: &str, ready: impl Fn(&[Value]) -> bool) -> Vec<Value> {
    let admin = app.token(Role::Admin);
    poll_json(
        StdDuration::from_secs(10),
        what,
        || app.get(&admin, "/api/v1/follow-ups?status=open&limit=200"),
        |page| {
            let tasks: Vec<Value> = page["data"]
                .as_array()?
                .iter()
                .filter(|t| t["rule"] == "holiday_care")
                .cloned()
                .collect();
            ready(&tasks).then_some(tasks)
        },
    )
    .await
}

fn of(tasks: &[Value], id: Uuid) -> Vec<&Value> {
    tasks
        .iter()
        .filter(|t| t["customer_id"] == id.to_string())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn holiday_care_is_planned_a_day_ahead_once_per_holiday_and_year_and_only_with_consent() {
    let app = spawn_at(at("2026-09-30T08:00:00Z")).await;
    let owner = Uuid::now_v7();
    let owned = customer(&app, "With consent", Some(owner), true).await;
    let unowned = customer(&app, "Unowned", None, true).await;
    let refused = customer(&app, "Without", Some(owner), false).await;

    let tasks = holiday_tasks(&app, "National Day care", |t| t.len() >= 2).await;
    let mine = of(&tasks, owned);
    assert_eq!(mine.len(), 1, "one task: {tasks:?}");
    assert_eq!(mine[0]["assignee_id"], owner.to_string(), "for the owner");
    assert_eq!(mine[0]["due_at"], "2026-10-01T00:00:00Z", "due on the day");
    let reason = mine[0]["reason"].as_str().expect("reason");
    assert!(
        reason.contains("National Day"),
        "names the holiday: {reason}"
    );
    assert_eq!(of(&tasks, unowned)[0]["assignee_id"], Value::Null);
    assert!(of(&tasks, refused).is_empty(), "no care without consent");

    // An hour later the job has run again (a customer who consented since has their task),
    // and still one task each.
    app.clock.advance(Duration::hours(1));
    let late = customer(&app, "Late", None, true).await;
    let again = holiday_tasks(&app, "the late customer's care", |t| {
        !of(t, late).is_empty()
    })
    .await;
    assert_eq!(of(&again, owned).len(), 1, "still one: {again:?}");
    assert_eq!(again.len(), 3);

    // A year later, the same holiday again.
    app.clock.advance(Duration::days(365));
    let next = holiday_tasks(&app, "next year's care", |t| t.len() >= 6).await;
    let dues: Vec<&str> = of(&next, owned)
        .iter()
        .filter_map(|t| t["due_at"].as_str())
        .collect();
    assert_eq!(dues, ["2026-10-01T00:00:00Z", "2027-10-01T00:00:00Z"]);
    app.app.stop().await;
}

/// A customer of `owner` who consented to care messages and profile extras, born on 3 October
/// (birthday care is planned a week ahead: on 30 September, with National Day's care).
async fn born_in_october(app: &TestApp, name: &str, owner: Uuid) -> Uuid {
    let id = customer(app, name, Some(owner), true).await;
    let admin = app.token(Role::Admin);
    let path = format!("/api/v1/customers/{id}");
    let extras = json!({"profile_extras": true});
    expect_json(
        app.put(&admin, &format!("{path}/consents"), &extras).await,
        200,
    )
    .await;
    let birthday = json!({"birthday": "1985-10-03"});
    expect_json(app.patch(&admin, &path, &birthday).await, 200).await;
    id
}

/// The open care tasks, once the care job planned birthday and holiday care for `n` customers.
async fn planned(app: &TestApp, n: usize) -> Vec<Value> {
    let admin = app.token(Role::Admin);
    poll_json(
        StdDuration::from_secs(10),
        "birthday and holiday care",
        || app.get(&admin, "/api/v1/follow-ups?status=open&limit=200"),
        |page| {
            let tasks = page["data"].as_array()?.clone();
            (tasks.len() >= 2 * n).then_some(tasks)
        },
    )
    .await
}

/// `(rule, status, outcome)` of every task of `customer`.
async fn tasks_of(app: &TestApp, customer: Uuid) -> Vec<(String, String, Value)> {
    let path = format!("/api/v1/customers/{customer}/follow-ups");
    let page = expect_json(app.get(&app.token(Role::Admin), &path).await, 200).await;
    let mut tasks: Vec<(String, String, Value)> = page["data"]
        .as_array()
        .expect("data")
        .iter()
        .map(|t| {
            let rule = t["rule"].as_str().unwrap_or("by hand").to_owned();
            (
                rule,
                t["status"].as_str().expect("status").to_owned(),
                t["outcome"].clone(),
            )
        })
        .collect();
    tasks.sort_by(|a, b| a.0.cmp(&b.0));
    tasks
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn withdrawing_consent_cancels_the_care_planned_under_it() {
    let app = spawn_at(at("2026-09-30T08:00:00Z")).await;
    let (admin, owner) = (app.token(Role::Admin), Uuid::now_v7());
    let no_care = born_in_october(&app, "No more care", owner).await;
    let no_extras = born_in_october(&app, "No more extras", owner).await;
    let kept = born_in_october(&app, "Kept", owner).await;
    let by_hand =
        json!({"reason": "Call about the new contract", "due_at": "2026-10-03T09:00:00Z"});
    let path = format!("/api/v1/customers/{no_care}/follow-ups");
    expect_json(app.post(&admin, &path, &by_hand).await, 201).await;
    planned(&app, 3).await;

    for (id, body) in [
        (no_care, json!({"care_messages": false})),
        (no_extras, json!({"profile_extras": false})),
    ] {
        let path = format!("/api/v1/customers/{id}/consents");
        expect_json(app.put(&admin, &path, &body).await, 200).await;
    }

    let care = tasks_of(&app, no_care).await;
    assert_eq!(
        care.iter()
            .map(|t| (t.0.as_str(), t.1.as_str()))
            .collect::<Vec<_>>(),
        [
            ("birthday_care", "cancelled"),
            ("by hand", "open"),
            ("holiday_care", "cancelled")
        ],
        "{care:?}"
    );
    let why = care[0].2.as_str().expect("an outcome");
    assert!(why.contains("care messages"), "says why: {why}");
    let extras = tasks_of(&app, no_extras).await;
    assert_eq!(
        extras
            .iter()
            .map(|t| (t.0.as_str(), t.1.as_str()))
            .collect::<Vec<_>>(),
        [("birthday_care", "cancelled"), ("holiday_care", "open")],
        "the holiday is no birthday: {extras:?}"
    );
    assert!(extras[0]
        .2
        .as_str()
        .expect("an outcome")
        .contains("birthday"));
    let untouched = tasks_of(&app, kept).await;
    assert!(untouched.iter().all(|t| t.1 == "open"), "{untouched:?}");

    // The next runs plan nothing again for them.
    app.clock.advance(Duration::hours(1));
    let late = customer(&app, "Late", None, true).await;
    holiday_tasks(&app, "the next run", |t| !of(t, late).is_empty()).await;
    assert_eq!(tasks_of(&app, no_care).await.len(), 3);
    assert_eq!(tasks_of(&app, no_extras).await.len(), 2);
    app.app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_birthday_care_task_is_shown_only_to_whoever_sees_the_birthday() {
    let app = spawn_at(at("2026-09-30T08:00:00Z")).await;
    let (owner, other) = (Uuid::now_v7(), Uuid::now_v7());
    let id = born_in_october(&app, "Born in October", owner).await;
    let tasks = planned(&app, 1).await;
    let birthday = tasks
        .iter()
        .find(|t| t["rule"] == "birthday_care")
        .and_then(|t| t["id"].as_str())
        .expect("birthday care")
        .to_owned();
    let token = |role, sub| kuaidi_shared::testing::user_token(&app.env.key, role, sub);
    let rules = |page: &Value| -> Vec<String> {
        let mut r: Vec<String> = page["data"]
            .as_array()
            .or_else(|| page["follow_ups"].as_array())
            .expect("tasks")
            .iter()
            .filter_map(|t| t["rule"].as_str().map(str::to_owned))
            .collect();
        r.sort();
        r
    };
    let both = ["birthday_care", "holiday_care"];

    for (who, sees) in [
        (token(Role::Agent, owner), true),
        (token(Role::Supervisor, other), true),
        (token(Role::Agent, other), false),
        (token(Role::Analyst, other), false),
    ] {
        let shown: &[&str] = if sees { &both } else { &both[1..] };
        let listed = expect_json(app.get(&who, "/api/v1/follow-ups").await, 200).await;
        assert_eq!(rules(&listed), shown, "{listed}");
        let path = format!("/api/v1/customers/{id}/follow-ups");
        assert_eq!(
            rules(&expect_json(app.get(&who, &path).await, 200).await),
            shown
        );
        let file = expect_json(app.get(&who, &format!("/api/v1/customers/{id}")).await, 200).await;
        assert_eq!(rules(&file), shown, "the customer 360");
        let one = app
            .get(&who, &format!("/api/v1/follow-ups/{birthday}"))
            .await;
        assert_eq!(one.status(), if sees { 200 } else { 404 });
    }
    app.app.stop().await;
}

/// `(rule, status)` of every task of `customer`, sorted.
async fn states_of(app: &TestApp, customer: Uuid) -> Vec<(String, String)> {
    let mut states: Vec<(String, String)> = (tasks_of(app, customer).await.into_iter())
        .map(|(rule, status, _)| (rule, status))
        .collect();
    states.sort();
    states
}

fn pairs(states: &[(&str, &str)]) -> Vec<(String, String)> {
    states
        .iter()
        .map(|(r, s)| (r.to_string(), s.to_string()))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn giving_a_withdrawn_consent_again_brings_the_care_back_once() {
    let app = spawn_at(at("2026-09-30T08:00:00Z")).await;
    let (admin, owner) = (app.token(Role::Admin), Uuid::now_v7());
    let back = born_in_october(&app, "Care again", owner).await;
    let extras = born_in_october(&app, "Extras again", owner).await;
    planned(&app, 2).await;
    let consents = |id: Uuid| format!("/api/v1/customers/{id}/consents");
    for (id, body) in [
        (back, json!({"care_messages": false})),
        (extras, json!({"profile_extras": false})),
        (back, json!({"care_messages": true})),
        (extras, json!({"profile_extras": true})),
    ] {
        expect_json(app.put(&admin, &consents(id), &body).await, 200).await;
    }

    // Both holiday and birthday care are open again, as new tasks beside the cancelled ones.
    let again = pairs(&[
        ("birthday_care", "cancelled"),
        ("birthday_care", "open"),
        ("holiday_care", "cancelled"),
        ("holiday_care", "open"),
    ]);
    assert_eq!(states_of(&app, back).await, again);
    // The birthday went with the extras' consent: care comes back once it is given again.
    let gone = pairs(&[("birthday_care", "cancelled"), ("holiday_care", "open")]);
    assert_eq!(states_of(&app, extras).await, gone);
    let path = format!("/api/v1/customers/{extras}");
    let birthday = json!({"birthday": "1985-10-03"});
    expect_json(app.patch(&admin, &path, &birthday).await, 200).await;
    let restored = pairs(&[
        ("birthday_care", "cancelled"),
        ("birthday_care", "open"),
        ("holiday_care", "open"),
    ]);
    assert_eq!(states_of(&app, extras).await, restored);

    // Given again twice, and the job's next runs: still one open task of each.
    expect_json(
        app.put(&admin, &consents(back), &json!({"care_messages": true}))
            .await,
        200,
    )
    .await;
    app.clock.advance(Duration::hours(1));
    let late = customer(&app, "Late", None, true).await;
    holiday_tasks(&app, "the next run", |t| !of(t, late).is_empty()).await;
    assert_eq!(states_of(&app, back).await, again);
    assert_eq!(states_of(&app, extras).await, restored);
    app.app.stop().await;
}
