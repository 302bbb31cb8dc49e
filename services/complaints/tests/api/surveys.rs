//! Satisfaction surveys: by an agent, by the customer in the app, through a one-time link.

use chrono::Duration as Days;
use kuaidi_shared::auth::Role;
use kuaidi_shared::testing::expect_problem;
use serde_json::json;

use uuid::Uuid;

use crate::helpers::{complaint, events_until, json_of, refused_fields, shipment, Desk};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_survey_link_shows_the_questions_and_may_be_answered_once() {
    let t = Desk::spawn().await;
    let (id, link) = t.awaiting_feedback(&t.admin(), &complaint("delay")).await;

    let form = json_of(
        t.env.http.get(t.url(&link)).send().await.expect("sent"),
        200,
    )
    .await;
    assert!(form["number"].as_str().expect("number").starts_with('C'));
    assert_eq!(form["questions"][0]["field"], "overall");
    let answer = json!({"overall": 5, "speed": 4, "effectiveness": 5, "attitude": 5, "suggestion": "thanks"});
    let submit = || async {
        let request = t.env.http.post(t.url(&link)).json(&answer);
        request.send().await.expect("sent")
    };
    let answered = submit().await;
    let location = location_of(&answered);
    let survey = json_of(answered, 201).await;
    assert_eq!(
        (survey["via"].clone(), survey["reopened"].clone()),
        (json!("link"), json!(false))
    );
    assert_eq!(
        location,
        format!(
            "/api/v1/complaints/{id}/surveys/{}",
            survey["id"].as_str().expect("id")
        )
    );
    assert_eq!(
        json_of(t.get(&t.admin(), &location).await, 200).await,
        survey,
        "the answer is read where Location says"
    );
    assert_eq!(submit().await.status(), 410, "single use");
    assert_eq!(
        t.env
            .http
            .get(t.url(&link))
            .send()
            .await
            .expect("sent")
            .status(),
        410
    );
    let case = json_of(t.case(&t.admin(), &id).await, 200).await;
    assert_eq!(case["satisfaction"], 5);
    assert_eq!(
        t.env
            .http
            .get(t.url("/api/v1/surveys/not-a-token"))
            .send()
            .await
            .expect("sent")
            .status(),
        404
    );
    t.stop().await;
}

/// The `Location` of a `201`.
fn location_of(resp: &reqwest::Response) -> String {
    assert_eq!(resp.status(), 201, "created");
    resp.headers()
        .get("location")
        .expect("a 201 names what it created")
        .to_str()
        .expect("ascii")
        .to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_recorded_survey_is_located_and_read_by_whoever_may_read_the_case_with_an_etag() {
    let t = Desk::spawn().await;
    let merchant = Uuid::now_v7();
    let mut body = complaint("delay");
    body["merchant_id"] = json!(merchant);
    let (id, _) = t.awaiting_feedback(&t.admin(), &body).await;
    let other_case = t.opened("delay").await;

    let answered = t
        .post(
            &t.token(Role::Agent),
            &format!("/api/v1/complaints/{id}/survey"),
            &json!({"overall": 4, "suggestion": "call earlier"}),
        )
        .await;
    let location = location_of(&answered);
    let survey = json_of(answered, 201).await;
    let survey_id = survey["id"].as_str().expect("id");

    assert_eq!(
        location,
        format!("/api/v1/complaints/{id}/surveys/{survey_id}")
    );
    let read = t.get(&t.admin(), &location).await;
    let etag = read.headers()["etag"].to_str().expect("ascii").to_owned();
    assert_eq!(json_of(read, 200).await, survey, "read as it was recorded");
    let again = t
        .request(reqwest::Method::GET, &location, &t.admin())
        .header("if-none-match", &etag)
        .send()
        .await
        .expect("sent");
    assert_eq!(again.status(), 304, "unchanged since {etag}");
    let own = t.env.token(Role::Merchant, Some(merchant));
    assert_eq!(json_of(t.get(&own, &location).await, 200).await, survey);
    for (token, path, what) in [
        (
            t.env.token(Role::Merchant, Some(Uuid::now_v7())),
            location.clone(),
            "another merchant's case",
        ),
        (
            t.admin(),
            format!("/api/v1/complaints/{other_case}/surveys/{survey_id}"),
            "another case's survey",
        ),
        (
            t.admin(),
            format!("/api/v1/complaints/{id}/surveys/{}", Uuid::now_v7()),
            "no such survey",
        ),
    ] {
        let resp = t.get(&token, &path).await;
        assert_eq!(resp.status(), 404, "{what}");
    }
    t.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_link_expires_after_14_days() {
    let t = Desk::at("2026-11-25T08:00:00Z").await;
    let (_, link) = t.awaiting_feedback(&t.admin(), &complaint("delay")).await;

    t.clock.advance(Days::days(14) + Days::minutes(1));

    let late = t
        .env
        .http
        .post(t.url(&link))
        .json(&json!({"overall": 4}))
        .send()
        .await
        .expect("sent");
    let problem = expect_problem(late, 410).await;
    assert_eq!(
        (problem["code"].clone(), problem["detail"].clone()),
        (json!("gone"), json!("this survey link has expired"))
    );
    assert_eq!(problem["instance"], link.as_str(), "{problem}");
    t.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dissatisfied_answer_reopens_the_case() {
    let t = Desk::spawn().await;
    let tap = t.env.tap().await;
    let (id, _) = t.awaiting_feedback(&t.admin(), &complaint("delay")).await;

    let survey = json_of(
        t.post(
            &t.token(Role::Agent),
            &format!("/api/v1/complaints/{id}/survey"),
            &json!({"overall": 2, "suggestion": "nobody called"}),
        )
        .await,
        201,
    )
    .await;

    assert_eq!(
        (survey["via"].clone(), survey["reopened"].clone()),
        (json!("agent"), json!(true))
    );
    let case = json_of(t.case(&t.admin(), &id).await, 200).await;
    assert_eq!(case["status"], "reopened");
    let events = events_until(&tap, &["survey.submitted", "complaint.reopened"]).await;
    let submitted = events
        .iter()
        .find(|e| e.type_ == "survey.submitted")
        .expect("submitted");
    assert_eq!(submitted.data["overall"], 2);
    t.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scores_outside_1_to_5_are_422_and_an_unresolved_case_has_no_survey_yet() {
    let t = Desk::spawn().await;
    let id = &t.opened("delay").await;
    let path = format!("/api/v1/complaints/{id}/survey");

    let bad = t
        .post(&t.admin(), &path, &json!({"overall": 6, "speed": 0}))
        .await;
    assert_eq!(refused_fields(bad).await, vec!["overall", "speed"]);
    assert_eq!(
        t.post(&t.admin(), &path, &json!({"overall": 4}))
            .await
            .status(),
        409
    );
    t.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_customer_answers_the_survey_of_their_own_case_in_the_app() {
    let t = Desk::spawn().await;
    let mut s = shipment("KD300000001CN", Uuid::now_v7(), Uuid::now_v7());
    s.recipient_phone_hash = Some("hash-of-chen".into());
    t.shipment_created(&s).await;
    let chen = t.env.customer_token("hash-of-chen");
    let mut body = complaint("delay");
    body["channel"] = json!("app");
    body["tracking_number"] = json!("KD300000001CN");
    let (id, _) = t.awaiting_feedback(&chen, &body).await;
    let path = format!("/api/v1/complaints/{id}/survey");

    assert_eq!(
        t.post(
            &t.env.customer_token("hash-of-liu"),
            &path,
            &json!({"overall": 5})
        )
        .await
        .status(),
        404
    );
    let answered = t.post(&chen, &path, &json!({"overall": 4})).await;
    let location = location_of(&answered);
    let survey = json_of(answered, 201).await;
    assert_eq!(survey["via"], "customer");
    assert_eq!(json_of(t.get(&chen, &location).await, 200).await, survey);
    assert_eq!(
        t.get(&t.env.customer_token("hash-of-liu"), &location)
            .await
            .status(),
        404,
        "another customer's case"
    );
    t.stop().await;
}
