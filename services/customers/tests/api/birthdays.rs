//! Birthday care follows the birthday (SPEC §4 "birthday/holiday care with consent"): a new
//! birthday, by an edit or a merge, cancels the care planned for the old date and plans it for
//! the new one; an undone merge puts each file's care back with its birthday.

use kuaidi_shared::auth::Role;
use kuaidi_shared::testing::{expect_json, poll_json, TestApp};
use serde_json::{json, Value};
use std::time::Duration as StdDuration;
use uuid::Uuid;

use crate::helpers::{at, create, id_of, spawn_at};

/// A customer of `owner`, with care and profile-extras consent, born on `birthday`.
async fn born_on(app: &TestApp, owner: Uuid, birthday: &str) -> Uuid {
    let body = json!({
        "kind": "individual", "name": format!("Born {birthday}"), "owner_id": owner,
        "consents": {"care_messages": true, "profile_extras": true}, "birthday": birthday
    });
    id_of(&create(app, &body).await)
}

/// `(status, due_at, outcome)` of every birthday-care task of `customer`, by due date.
async fn birthday_care(app: &TestApp, customer: Uuid) -> Vec<(String, String, String)> {
    let path = format!("/api/v1/customers/{customer}/follow-ups?limit=200");
    let page = expect_json(app.get(&app.token(Role::Admin), &path).await, 200).await;
    let text = |v: &Value| v.as_str().unwrap_or_default().to_owned();
    let mut tasks: Vec<(String, String, String)> = page["data"]
        .as_array()
        .expect("data")
        .iter()
        .filter(|t| t["rule"] == "birthday_care")
        .map(|t| (text(&t["status"]), text(&t["due_at"]), text(&t["outcome"])))
        .collect();
    tasks.sort_by(|a, b| (&a.1, &a.0).cmp(&(&b.1, &b.0)));
    tasks
}

/// The due dates of the open birthday-care tasks of `customer`.
async fn open_care(app: &TestApp, customer: Uuid) -> Vec<String> {
    let tasks = birthday_care(app, customer).await;
    tasks
        .into_iter()
        .filter(|t| t.0 == "open")
        .map(|t| t.1)
        .collect()
}

/// Waits until `customer`'s birthday care, due `due`, is planned.
async fn planned(app: &TestApp, customer: Uuid, due: &str) {
    planned_by(app, "birthday_care", customer, due).await;
}

/// Waits until `customer`'s care of `rule`, due `due`, is planned.
async fn planned_by(app: &TestApp, rule: &str, customer: Uuid, due: &str) {
    let admin = app.token(Role::Admin);
    let path = format!("/api/v1/customers/{customer}/follow-ups");
    poll_json(
        StdDuration::from_secs(10),
        "birthday care planned",
        || app.get(&admin, &path),
        |page| {
            page["data"]
                .as_array()?
                .iter()
                .any(|t| t["rule"] == rule && t["due_at"] == due)
                .then_some(())
        },
    )
    .await;
}

const OCT_3: &str = "2026-10-03T00:00:00Z";
const OCT_5: &str = "2026-10-05T00:00:00Z";

/// Waits until the care job ran after what came before: it planned a new customer's holiday
/// care (National Day; a new file's birthday care is planned at its creation, holiday care
/// only by the job).
async fn care_job_ran(app: &TestApp) {
    let sentinel = born_on(app, Uuid::now_v7(), "2000-10-04").await;
    planned_by(app, "holiday_care", sentinel, "2026-10-01T00:00:00Z").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_file_born_within_the_lead_has_its_birthday_care_at_once() {
    let app = spawn_at(at("2026-09-30T08:00:00Z")).await;
    let id = born_on(&app, Uuid::now_v7(), "1990-10-03").await;
    // Read straight after the creation, before any run of the care job could have planned it.
    assert_eq!(open_care(&app, id).await, [OCT_3]);
    let later = born_on(&app, Uuid::now_v7(), "1990-10-20").await;
    assert!(open_care(&app, later).await.is_empty(), "beyond the lead");
    app.app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_birthday_takes_its_care_along() {
    let app = spawn_at(at("2026-09-30T08:00:00Z")).await;
    let admin = app.token(Role::Admin);
    let id = born_on(&app, Uuid::now_v7(), "1985-10-03").await;
    let path = format!("/api/v1/customers/{id}");
    planned(&app, id, OCT_3).await;

    let edit = |birthday: &str| json!({"birthday": birthday});
    expect_json(app.patch(&admin, &path, &edit("1985-10-05")).await, 200).await;
    let care = birthday_care(&app, id).await;
    assert_eq!(care.len(), 2, "{care:?}");
    assert_eq!(
        (care[0].0.as_str(), care[0].1.as_str()),
        ("cancelled", OCT_3)
    );
    assert!(care[0].2.contains("birthday changed"), "says why: {care:?}");
    assert_eq!(
        (care[1].0.as_str(), care[1].1.as_str()),
        ("open", OCT_5),
        "planned at once"
    );

    // Only the year corrected: the task stays as it is.
    expect_json(app.patch(&admin, &path, &edit("1986-10-05")).await, 200).await;
    assert_eq!(birthday_care(&app, id).await, care, "same day, same task");

    // Back to the first date: its care is planned again.
    expect_json(app.patch(&admin, &path, &edit("1985-10-03")).await, 200).await;
    assert_eq!(
        open_care(&app, id).await,
        [OCT_3],
        "{:?}",
        birthday_care(&app, id).await
    );

    care_job_ran(&app).await;
    assert_eq!(
        open_care(&app, id).await,
        [OCT_3],
        "the job plans no second task"
    );

    // A birthday beyond the week's lead: nothing open until the job's lead reaches it.
    expect_json(app.patch(&admin, &path, &edit("1985-12-25")).await, 200).await;
    assert_eq!(open_care(&app, id).await, Vec::<String>::new());
    let holiday = expect_json(app.get(&admin, &format!("{path}/follow-ups")).await, 200).await;
    let open_holiday = holiday["data"]
        .as_array()
        .expect("data")
        .iter()
        .any(|t| t["rule"] == "holiday_care" && t["status"] == "open");
    assert!(open_holiday, "holiday care is no birthday's: {holiday}");
    app.app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_merge_that_changes_the_birthday_moves_its_care_and_an_undo_moves_it_back() {
    let app = spawn_at(at("2026-09-30T08:00:00Z")).await;
    let admin = app.token(Role::Admin);
    let owner = Uuid::now_v7();
    let survivor = born_on(&app, owner, "1985-10-03").await;
    let duplicate = born_on(&app, owner, "1985-10-05").await;
    planned(&app, survivor, OCT_3).await;
    planned(&app, duplicate, OCT_5).await;

    let merge = json!({"duplicate_id": duplicate, "prefer": {"birthday": "duplicate"}});
    let path = format!("/api/v1/customers/{survivor}/merge");
    let merged = expect_json(app.post(&admin, &path, &merge).await, 200).await;
    assert_eq!(merged["customer"]["birthday"], "1985-10-05", "{merged}");
    let care = birthday_care(&app, survivor).await;
    assert_eq!(
        open_care(&app, survivor).await,
        [OCT_5],
        "one birthday, one care task: {care:?}"
    );
    assert!(
        care.iter()
            .filter(|t| t.0 == "cancelled")
            .all(|t| t.2.contains("merged")),
        "says why: {care:?}"
    );

    care_job_ran(&app).await;
    assert_eq!(
        open_care(&app, survivor).await,
        [OCT_5],
        "and the job none again"
    );

    let merge_id = merged["merge_id"].as_str().expect("merge_id");
    let undo = format!("/api/v1/customers/merges/{merge_id}:undo");
    expect_json(app.post(&admin, &undo, &json!({})).await, 200).await;
    assert_eq!(
        open_care(&app, survivor).await,
        [OCT_3],
        "{:?}",
        birthday_care(&app, survivor).await
    );
    assert_eq!(
        open_care(&app, duplicate).await,
        [OCT_5],
        "{:?}",
        birthday_care(&app, duplicate).await
    );
    care_job_ran(&app).await;
    assert_eq!(open_care(&app, survivor).await, [OCT_3]);
    assert_eq!(open_care(&app, duplicate).await, [OCT_5]);
    app.app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_merge_that_drops_the_birthday_cancels_its_care() {
    let app = spawn_at(at("2026-09-30T08:00:00Z")).await;
    let admin = app.token(Role::Admin);
    let survivor = born_on(&app, Uuid::now_v7(), "1985-10-03").await;
    let body = json!({"kind": "individual", "name": "No extras",
        "consents": {"care_messages": true, "profile_extras": false}});
    let duplicate = id_of(&create(&app, &body).await);
    planned(&app, survivor, OCT_3).await;

    // The duplicate's consents win: no profile_extras, so no birthday is kept.
    let merge = json!({"duplicate_id": duplicate, "prefer": {"consents": "duplicate"}});
    let path = format!("/api/v1/customers/{survivor}/merge");
    let merged = expect_json(app.post(&admin, &path, &merge).await, 200).await;
    assert_eq!(merged["customer"]["birthday"], Value::Null, "{merged}");
    let care = birthday_care(&app, survivor).await;
    assert_eq!(
        care.iter().map(|t| t.0.as_str()).collect::<Vec<_>>(),
        ["cancelled"],
        "{care:?}"
    );
    app.app.stop().await;
}
