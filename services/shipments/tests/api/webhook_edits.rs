//! One subscription read and edited: `GET /api/v1/webhooks/{id}` (what the create's `Location`
//! names) with its `ETag` and `304`, and `PATCH` — the registration's rules, `If-Match`, a new
//! version per change, another owner's a 404 (its secret and state: `webhook_states`; an
//! admin's reach over every owner's: `webhook_admin`).

use actix_web::{web, HttpRequest, HttpResponse};
use kuaidi_shared::auth::Role;
use kuaidi_shared::testing::{
    body_json, expect_json, expect_problem, refused_fields, stub_server, TestApp,
};
use kuaidi_shipments::configuration::WebhookSettings;
use kuaidi_shipments::workflow::webhooks::signature;
use reqwest::Method;
use serde_json::{json, Value};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use uuid::Uuid;

use crate::helpers::{spawn_with_database_and, webhook_settings};

pub(crate) const WAIT: Duration = Duration::from_secs(20);

/// The service with millisecond retries, on a database the test may read; an endpoint failing
/// for `disable_after_ms` is disabled.
pub(crate) async fn spawn(disable_after_ms: u64) -> (TestApp, String) {
    spawn_with_database_and(WebhookSettings {
        retry_schedule_ms: vec![50],
        disable_after_ms,
        ..webhook_settings(true)
    })
    .await
}

/// A webhook receiver on 127.0.0.1: the signatures it got, failing while told to.
#[derive(Default)]
pub(crate) struct Received {
    /// (`Kuaidi-Signature`, body) of each request.
    pub got: Mutex<Vec<(String, Vec<u8>)>>,
    pub failing: AtomicBool,
}

async fn receive(req: HttpRequest, body: web::Bytes, state: web::Data<Received>) -> HttpResponse {
    let signature = req
        .headers()
        .get("kuaidi-signature")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    state
        .got
        .lock()
        .expect("lock")
        .push((signature, body.to_vec()));
    if state.failing.load(Ordering::SeqCst) {
        HttpResponse::InternalServerError().finish()
    } else {
        HttpResponse::Ok().finish()
    }
}

pub(crate) fn receiver() -> (Arc<Received>, String) {
    let state = Arc::new(Received::default());
    let (port, _server) = stub_server(web::Data::from(state.clone()), receive);
    (state, format!("http://127.0.0.1:{port}/hook"))
}

/// Whether a received request is signed with `secret` (`t=<unix>,v1=<hex HMAC>`).
pub(crate) fn signed_with(secret: &str, (header, body): &(String, Vec<u8>)) -> bool {
    let Some((t, v1)) = header
        .split_once(',')
        .and_then(|(t, v)| Some((t.strip_prefix("t=")?.parse().ok()?, v.strip_prefix("v1=")?)))
    else {
        return false;
    };
    signature::mac(secret, t, body) == v1
}

/// Registers `url` for every event; the 201's `Location`, `ETag` and body.
pub(crate) async fn register(t: &TestApp, token: &str, url: &str) -> (String, String, Value) {
    let resp = t
        .post(
            token,
            "/api/v1/webhooks",
            &json!({"url": url, "events": ["*"]}),
        )
        .await;
    let header = |n: &str| resp.headers()[n].to_str().expect("ascii").to_owned();
    let (location, etag) = (header("location"), header("etag"));
    (location, etag, expect_json(resp, 201).await)
}

/// A PATCH with `If-Match: if_match` when given.
pub(crate) async fn patch(
    t: &TestApp,
    token: &str,
    path: &str,
    body: Value,
    if_match: Option<&str>,
) -> reqwest::Response {
    let mut req = t.request(Method::PATCH, path, token).json(&body);
    if let Some(tag) = if_match {
        req = req.header("if-match", tag);
    }
    req.send().await.expect("sent")
}

pub(crate) fn etag_of(resp: &reqwest::Response) -> String {
    resp.headers()["etag"].to_str().expect("ascii").to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_location_of_a_new_webhook_answers_it_as_created_with_an_etag() {
    let (t, _) = spawn(3_600_000).await;
    let token = t.merchant(Uuid::now_v7());
    let (_, url) = receiver();
    let (location, created_tag, created) = register(&t, &token, &url).await;
    assert_eq!(
        location,
        format!("/api/v1/webhooks/{}", created["id"].as_str().expect("id"))
    );

    let resp = t.get(&token, &location).await;
    let etag = etag_of(&resp);
    let got = expect_json(resp, 200).await;

    assert_eq!(etag, created_tag, "the create's ETag is the read's");
    assert!(
        got.get("secret").is_none(),
        "the secret is never read back: {got}"
    );
    let mut expected = created.clone();
    expected.as_object_mut().expect("object").remove("secret");
    assert_eq!(
        got, expected,
        "the read shows what the create answered, field for field"
    );
    assert_eq!(
        got["created_at"], created["created_at"],
        "to the same microsecond"
    );
    assert_eq!(
        (got["enabled"].clone(), got["version"].clone()),
        (json!(true), json!(1))
    );
    let list = body_json(t.get(&token, "/api/v1/webhooks").await).await;
    assert_eq!(list["data"], json!([got]), "as the list shows it");
    let again = t.revalidate(&token, &location, &etag).await;
    assert_eq!(again.status(), 304, "If-None-Match with the current ETag");
    assert_eq!(etag_of(&again), etag);
    t.app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_owners_webhook_is_not_found_to_read_or_edit() {
    let (t, _) = spawn(3_600_000).await;
    let (_, url) = receiver();
    let owner = t.merchant(Uuid::now_v7());
    let (location, etag, _) = register(&t, &owner, &url).await;
    let app = t.token(Role::App);
    let (app_location, _, _) = register(&t, &app, &url).await;
    let strangers = [
        (t.merchant(Uuid::now_v7()), location.clone()),
        (t.token(Role::App), location.clone()),
        (owner.clone(), app_location.clone()),
        (
            owner.clone(),
            format!("/api/v1/webhooks/{}", Uuid::now_v7()),
        ),
    ];
    for (token, path) in &strangers {
        expect_problem(t.get(token, path).await, 404).await;
        let edit = json!({"url": "http://127.0.0.1:9/elsewhere"});
        expect_problem(patch(&t, token, path, edit, Some(&etag)).await, 404).await;
    }
    expect_json(t.get(&app, &app_location).await, 200).await;
    let mine = expect_json(t.get(&owner, &location).await, 200).await;
    assert_eq!(mine["url"], url, "nothing was changed by the strangers");
    assert_eq!(mine["version"], 1);
    t.app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_patch_makes_a_new_version_and_a_stale_if_match_is_refused() {
    let (t, _) = spawn(3_600_000).await;
    let token = t.merchant(Uuid::now_v7());
    let (_, url) = receiver();
    let (location, first, _) = register(&t, &token, &url).await;
    let moved = format!("{url}/v2");

    let resp = patch(
        &t,
        &token,
        &location,
        json!({"url": moved, "events": ["shipment.delivered", "shipment.created"]}),
        Some(&first),
    )
    .await;
    let second = etag_of(&resp);
    let edited = expect_json(resp, 200).await;

    assert_ne!(second, first, "a new ETag");
    assert_eq!(edited["version"], 2);
    assert_eq!(edited["url"], moved);
    assert_eq!(
        edited["events"],
        json!(["shipment.created", "shipment.delivered"])
    );
    assert!(
        edited.get("secret").is_none(),
        "no secret unless one was set: {edited}"
    );
    let resp = t.get(&token, &location).await;
    assert_eq!(etag_of(&resp), second);
    let mut read = expect_json(resp, 200).await;
    assert_eq!(read, edited, "the read shows the edit");
    let stale = patch(&t, &token, &location, json!({"url": url}), Some(&first)).await;
    let problem = expect_problem(stale, 412).await;
    assert_eq!(problem["code"], "precondition_failed");
    read = expect_json(t.get(&token, &location).await, 200).await;
    assert_eq!(read["url"], moved, "a refused edit changes nothing");
    let old = t.revalidate(&token, &location, &first).await;
    assert_eq!(old.status(), 200, "the old ETag no longer matches");
    let unconditional = patch(&t, &token, &location, json!({"events": ["*"]}), None).await;
    let third = expect_json(unconditional, 200).await;
    assert_eq!(
        (third["version"].clone(), third["events"].clone()),
        (json!(3), json!(["*"]))
    );
    let same = patch(
        &t,
        &token,
        &location,
        json!({"events": ["*"]}),
        Some("\"3\""),
    )
    .await;
    assert_eq!(
        expect_json(same, 200).await["version"],
        3,
        "naming what holds changes nothing"
    );
    t.app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_patch_is_checked_like_a_registration_and_names_each_bad_field() {
    let (t, _) = spawn(3_600_000).await;
    let token = t.merchant(Uuid::now_v7());
    let (_, url) = receiver();
    let (location, etag, _) = register(&t, &token, &url).await;
    let bad = |body: Value| patch(&t, &token, &location, body, Some(&etag));

    let all = bad(json!({"url": "http://169.254.169.254/latest/meta-data", "events": ["shipment.teleported"], "secret": " "})).await;
    assert_eq!(refused_fields(all).await, ["url", "events", "secret"]);
    for (body, field) in [
        (json!({"url": "ftp://hooks.example.com/x"}), "url"),
        (json!({"url": "http://[fe80::1]/x"}), "url"),
        (json!({"events": []}), "events"),
        (json!({"secret": "s3cret", "rotate_secret": true}), "secret"),
        (json!({"enabled": "yes"}), "enabled"),
        (json!({"rotate_secret": 1}), "rotate_secret"),
    ] {
        assert_eq!(
            refused_fields(bad(body.clone()).await).await,
            [field],
            "{body}"
        );
    }
    let unknown = expect_problem(bad(json!({"enable": false})).await, 422).await;
    assert!(
        unknown["errors"].to_string().contains("enable"),
        "{unknown}"
    );
    let read = expect_json(t.get(&token, &location).await, 200).await;
    assert_eq!(
        (read["url"].clone(), read["version"].clone()),
        (json!(url), json!(1))
    );
    t.app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_url_carrying_credentials_is_refused_at_registration_and_on_update() {
    let (t, _) = spawn(3_600_000).await;
    let token = t.merchant(Uuid::now_v7());
    let (_, url) = receiver();
    let with_credentials = [
        "https://user:pw@example.net/x".to_owned(),
        "https://user@example.net/x".to_owned(),
        "http://:pw@example.net/x".to_owned(),
        url.replace("http://", "http://hook:s3cret@"),
    ];
    for bad in &with_credentials {
        let body = json!({"url": bad, "events": ["*"]});
        let problem = expect_problem(t.post(&token, "/api/v1/webhooks", &body).await, 422).await;
        assert_eq!(problem["errors"][0]["field"], "url", "{bad}: {problem}");
        assert!(
            !problem.to_string().contains("pw") && !problem.to_string().contains("s3cret"),
            "the refusal does not repeat the credentials: {problem}"
        );
    }

    let (location, etag, _) = register(&t, &token, &url).await;
    for bad in &with_credentials {
        let resp = patch(&t, &token, &location, json!({"url": bad}), Some(&etag)).await;
        assert_eq!(refused_fields(resp).await, ["url"], "{bad}");
    }
    let read = expect_json(t.get(&token, &location).await, 200).await;
    assert_eq!(
        (read["url"].clone(), read["version"].clone()),
        (json!(url), json!(1)),
        "the subscription is as registered"
    );
    t.app.stop().await;
}
