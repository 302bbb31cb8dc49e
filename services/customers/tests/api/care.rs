//! Holiday care: planned by the care job for customers who consented to care messages, once
//! per holiday and year.

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
