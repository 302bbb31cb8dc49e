//! One survey per resolution (a help desk takes one rating per solve): a second survey is a
//! `409 already_surveyed` whichever way it comes, a new link revokes the earlier unused one, a
//! link is issued only for a case that takes a survey, and a case reopened and resolved again
//! is asked again.

use kuaidi_shared::auth::Role;
use kuaidi_shared::testing::expect_problem;
use serde_json::{json, Value};

use crate::helpers::{complaint, json_of, Desk};

/// Takes a reopened case through its steps and resolves it again; the new link.
async fn resolved_again(t: &Desk, id: &str) -> String {
    t.approved(id, json!({"measures": ["apology"], "plan": "call back"}))
        .await;
    let resolution = json!({"resolution": "called back"});
    let done = t.acted(&t.admin(), id, "resolve", resolution).await;
    done["survey_link"].as_str().expect("link").to_owned()
}

async fn open_link(t: &Desk, link: &str) -> reqwest::Response {
    t.env.http.get(t.url(link)).send().await.expect("sent")
}

async fn answer_link(t: &Desk, link: &str, overall: u8) -> reqwest::Response {
    let body = json!({"overall": overall});
    t.env
        .http
        .post(t.url(link))
        .json(&body)
        .send()
        .await
        .expect("sent")
}

async fn by_agent(t: &Desk, id: &str, overall: u8) -> reqwest::Response {
    let path = format!("/api/v1/complaints/{id}/survey");
    t.post(&t.token(Role::Agent), &path, &json!({"overall": overall}))
        .await
}

async fn new_link(t: &Desk, id: &str) -> reqwest::Response {
    let path = format!("/api/v1/complaints/{id}/survey-link");
    t.post(&t.token(Role::Agent), &path, &json!({})).await
}

/// A `409` problem with `code`.
async fn conflict(resp: reqwest::Response, code: &str) -> Value {
    let problem = expect_problem(resp, 409).await;
    assert_eq!(problem["code"], code, "{problem}");
    problem
}

/// How many surveys the case holds.
async fn surveys_of(t: &Desk, id: &str, n: i64) {
    let sql =
        format!("SELECT (count(*) = {n})::int::int8 AS n FROM surveys WHERE complaint_id = '{id}'");
    t.until_db(&format!("{n} survey(s)"), sql).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reissued_link_revokes_the_first_and_the_resolution_takes_one_survey() {
    let t = Desk::spawn().await;
    let (id, first) = t.awaiting_feedback(&t.admin(), &complaint("delay")).await;

    let second = json_of(new_link(&t, &id).await, 201).await;
    let second = second["survey_link"].as_str().expect("link").to_owned();

    for revoked in [
        open_link(&t, &first).await,
        answer_link(&t, &first, 5).await,
    ] {
        let problem = expect_problem(revoked, 410).await;
        assert_eq!(
            problem["detail"], "this survey link was replaced by a newer one",
            "{problem}"
        );
    }
    json_of(open_link(&t, &second).await, 200).await;
    let survey = json_of(answer_link(&t, &second, 4).await, 201).await;

    let again = conflict(by_agent(&t, &id, 5).await, "already_surveyed").await;
    assert_eq!(again["survey_id"], survey["id"], "names the survey taken");
    conflict(new_link(&t, &id).await, "already_surveyed").await;
    assert_eq!(answer_link(&t, &second, 4).await.status(), 410, "used");
    t.acted(
        &t.admin(),
        &id,
        "close",
        json!({"resolution_code": "resolved"}),
    )
    .await;
    conflict(by_agent(&t, &id, 5).await, "already_surveyed").await;
    surveys_of(&t, &id, 1).await;
    let case = json_of(t.case(&t.admin(), &id).await, 200).await;
    assert_eq!(case["satisfaction"], 4);
    t.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_an_agents_survey_the_link_asks_nothing_until_the_case_is_resolved_again() {
    let t = Desk::spawn().await;
    let (id, link) = t.awaiting_feedback(&t.admin(), &complaint("delay")).await;

    json_of(by_agent(&t, &id, 5).await, 201).await;
    conflict(open_link(&t, &link).await, "already_surveyed").await;
    conflict(answer_link(&t, &link, 3).await, "already_surveyed").await;
    conflict(by_agent(&t, &id, 1).await, "already_surveyed").await;
    surveys_of(&t, &id, 1).await;

    // Reopened by hand and resolved again: a new resolution, asked again.
    let reopen = json!({"reason": "the parcel is still missing"});
    t.acted(&t.admin(), &id, "reopen", reopen).await;
    conflict(by_agent(&t, &id, 4).await, "survey_not_open").await;
    conflict(new_link(&t, &id).await, "survey_not_open").await;
    let fresh = resolved_again(&t, &id).await;
    assert_eq!(open_link(&t, &link).await.status(), 410, "replaced");
    json_of(answer_link(&t, &fresh, 4).await, 201).await;
    conflict(by_agent(&t, &id, 4).await, "already_surveyed").await;
    surveys_of(&t, &id, 2).await;
    t.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dissatisfied_answer_reopens_and_the_next_resolution_is_asked_again() {
    let t = Desk::spawn().await;
    let (id, link) = t.awaiting_feedback(&t.admin(), &complaint("delay")).await;

    let survey = json_of(answer_link(&t, &link, 2).await, 201).await;
    assert_eq!(survey["reopened"], true);
    let case = json_of(t.case(&t.admin(), &id).await, 200).await;
    assert_eq!(case["status"], "reopened");
    conflict(by_agent(&t, &id, 5).await, "survey_not_open").await;

    let fresh = resolved_again(&t, &id).await;
    json_of(open_link(&t, &fresh).await, 200).await;
    let survey = json_of(by_agent(&t, &id, 5).await, 201).await;
    assert_eq!(survey["reopened"], false);
    conflict(answer_link(&t, &fresh, 5).await, "already_surveyed").await;
    surveys_of(&t, &id, 2).await;
    t.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_link_is_issued_for_a_case_that_takes_no_survey_yet() {
    let t = Desk::spawn().await;
    let id = t.opened("delay").await;

    let problem = conflict(new_link(&t, &id).await, "survey_not_open").await;
    assert_eq!(problem["status"], 409);
    t.triaged(&id, "delay").await;
    conflict(new_link(&t, &id).await, "survey_not_open").await;
    let tokens = format!(
        "SELECT (count(*) = 0)::int::int8 AS n FROM survey_tokens WHERE complaint_id = '{id}'"
    );
    t.until_db("no link was kept", tokens).await;

    // Closed at triage as not reasonable (explained): resolved, so asked.
    let explained = t.opened("delay").await;
    t.acted(
        &t.admin(),
        &explained,
        "triage",
        json!({"category": "delay", "reasonable": false, "note": "on time"}),
    )
    .await;
    let link = json_of(new_link(&t, &explained).await, 201).await;
    let link = link["survey_link"].as_str().expect("link");
    json_of(open_link(&t, link).await, 200).await;
    t.stop().await;
}
