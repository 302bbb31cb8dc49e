//! A customer's timeline: the list's `channel`, `direction` and `kind` filters and their pages,
//! and touchpoints logged in the future refused.

use chrono::{DateTime, Duration, Utc};
use kuaidi_shared::auth::Role;
use kuaidi_shared::testing::{expect_json, expect_problem, TestApp};
use serde_json::json;
use uuid::Uuid;

use crate::helpers::{at, create, id_of, spawn_at};

const NOW: &str = "2026-03-02T10:00:00Z";

/// Logs a touchpoint on customer `id` as an admin and answers its id.
async fn log(app: &TestApp, id: Uuid, touchpoint: (&str, &str, &str), when: DateTime<Utc>) -> Uuid {
    let (channel, direction, kind) = touchpoint;
    let body = json!({"channel": channel, "direction": direction, "kind": kind,
        "summary": format!("{channel} {direction} {kind}"), "occurred_at": when});
    let path = format!("/api/v1/customers/{id}/interactions");
    let resp = app.post(&app.token(Role::Admin), &path, &body).await;
    id_of(&expect_json(resp, 201).await)
}

/// Every entry of customer `id`'s timeline under `filters`, walked a page of `limit` at a time
/// by `next_cursor`.
async fn walk(app: &TestApp, id: Uuid, filters: &str, limit: usize) -> Vec<Uuid> {
    let (admin, mut ids, mut cursor) = (app.token(Role::Admin), Vec::new(), None::<String>);
    loop {
        let mut path = format!("/api/v1/customers/{id}/interactions?limit={limit}{filters}");
        if let Some(c) = &cursor {
            path.push_str(&format!("&cursor={c}"));
        }
        let page = expect_json(app.get(&admin, &path).await, 200).await;
        let data = page["data"].as_array().expect("data");
        assert!(data.len() <= limit, "a page holds at most `limit` entries");
        ids.extend(data.iter().map(id_of));
        match page["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => return ids,
        }
        assert!(ids.len() < 50, "the walk ends");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_timeline_lists_only_what_its_filters_name_page_after_page() {
    let now = at(NOW);
    let app = spawn_at(now).await;
    let id = id_of(&create(&app, &json!({"kind": "individual", "name": "李雷"})).await);
    let hours = |h: i64| now - Duration::hours(h);
    let oldest = log(&app, id, ("phone", "in", "inquiry"), hours(6)).await;
    let email = log(&app, id, ("email", "in", "inquiry"), hours(5)).await;
    let tied = [
        log(&app, id, ("phone", "in", "inquiry"), hours(4)).await,
        log(&app, id, ("phone", "in", "inquiry"), hours(4)).await,
    ];
    // Entries at the same time are listed by id, the greater first.
    let (tied_first, tied_second) = (tied[0].min(tied[1]), tied[0].max(tied[1]));
    let outgoing = log(&app, id, ("phone", "out", "inquiry"), hours(3)).await;
    let care = log(&app, id, ("phone", "in", "care"), hours(2)).await;
    let sms = log(&app, id, ("sms", "out", "notification"), hours(1)).await;

    let phone_inquiries = [outgoing, tied_second, tied_first, oldest];
    let filters = "&channel=phone&kind=inquiry";
    for limit in [1, 2, 3, 50] {
        assert_eq!(
            walk(&app, id, filters, limit).await,
            phone_inquiries,
            "phone inquiries, newest first, pages of {limit}"
        );
    }
    assert_eq!(
        walk(&app, id, "&channel=phone&kind=inquiry&direction=in", 1).await,
        [tied_second, tied_first, oldest],
        "incoming phone inquiries"
    );
    assert_eq!(
        walk(&app, id, "&direction=out", 1).await,
        [sms, outgoing],
        "outgoing touchpoints"
    );
    assert_eq!(walk(&app, id, "&kind=care", 2).await, [care]);
    assert_eq!(walk(&app, id, "&channel=email", 2).await, [email]);
    assert!(walk(&app, id, "&channel=wechat", 2).await.is_empty());
    assert_eq!(
        walk(&app, id, "", 2).await,
        [sms, care, outgoing, tied_second, tied_first, email, oldest],
        "no filter: the whole timeline"
    );
    app.app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_filter_outside_its_vocabulary_is_a_422_naming_the_parameter() {
    let app = spawn_at(at(NOW)).await;
    let admin = app.token(Role::Admin);
    let id = id_of(&create(&app, &json!({"kind": "individual", "name": "韩梅梅"})).await);
    let path = format!("/api/v1/customers/{id}/interactions");

    let one = app.get(&admin, &format!("{path}?channel=fax")).await;
    let problem = expect_problem(one, 422).await;
    assert_eq!(problem["errors"][0]["field"], "channel", "{problem}");
    assert!(
        problem["errors"][0]["message"]
            .as_str()
            .is_some_and(|m| m.contains("phone") && m.contains("wechat")),
        "the message lists the channels: {problem}"
    );

    let every = app
        .get(
            &admin,
            &format!("{path}?channel=fax&direction=up&kind=gossip&limit=0"),
        )
        .await;
    let problem = expect_problem(every, 422).await;
    let fields: Vec<&str> = problem["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .filter_map(|e| e["field"].as_str())
        .collect();
    assert_eq!(
        fields,
        ["channel", "direction", "kind", "limit"],
        "every bad parameter at once: {problem}"
    );
    app.app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_touchpoint_more_than_five_minutes_ahead_of_the_clock_is_refused() {
    let now = at(NOW);
    let app = spawn_at(now).await;
    let admin = app.token(Role::Admin);
    let id = id_of(&create(&app, &json!({"kind": "individual", "name": "王芳"})).await);
    let path = format!("/api/v1/customers/{id}/interactions");
    let at_time = |when: &str| {
        json!({"channel": "phone", "direction": "in", "kind": "inquiry",
            "summary": "When?", "occurred_at": when})
    };

    let edge = (now + Duration::minutes(5)).to_rfc3339();
    let accepted = app.post(&admin, &path, &at_time(&edge)).await;
    assert_eq!(accepted.status(), 201, "5 minutes ahead: clock drift");

    let just_past = (now + Duration::minutes(5) + Duration::seconds(1)).to_rfc3339();
    for when in [just_past.as_str(), "2099-01-01T00:00:00Z"] {
        let refused = app.post(&admin, &path, &at_time(when)).await;
        let problem = expect_problem(refused, 422).await;
        assert_eq!(
            problem["errors"],
            json!([{"field": "occurred_at", "message": "must not be more than 5 minutes in the future"}]),
            "{when}"
        );
    }
    let timeline = app.get(&admin, &path).await;
    let timeline = expect_json(timeline, 200).await;
    assert_eq!(
        timeline["data"].as_array().map(Vec::len),
        Some(1),
        "only the accepted touchpoint is logged"
    );
    app.app.stop().await;
}
