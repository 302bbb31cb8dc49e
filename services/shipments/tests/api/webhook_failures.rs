//! Why an attempt got no HTTP answer, as the endpoint's owner reads it in the `last_error` of
//! `GET /api/v1/webhooks/{id}/deliveries`: a few words on what to fix on their side, nothing of
//! our network; null when the endpoint answered (its status is in `last_status_code`). The
//! refusal of an internal address at delivery time: `webhooks.rs`.

use kuaidi_shared::testing::{body_json, eventually, expect_json, TestApp};
use kuaidi_shipments::configuration::WebhookSettings;
use serde_json::{json, Value};
use std::net::TcpListener;
use std::sync::atomic::Ordering;
use uuid::Uuid;

use crate::helpers::{spawn_with_database_and, webhook_settings};
use crate::webhook_edits::{receiver, register, WAIT};

/// Registers `url` and sends it a `:test` event; the delivery once attempted.
async fn attempted(t: &TestApp, url: &str) -> Value {
    let token = t.merchant(Uuid::now_v7());
    let (location, _, _) = register(t, &token, url).await;
    let path = format!("{location}:test");
    expect_json(t.post(&token, &path, &json!({})).await, 202).await;
    let deliveries = format!("{location}/deliveries");
    eventually(WAIT, &format!("an attempt to {url}"), || async {
        let page = body_json(t.get(&token, &deliveries).await).await;
        let first = page["data"].get(0)?.clone();
        (first["attempts"] == 1).then_some(first)
    })
    .await
}

fn local_port(listener: &TcpListener) -> u16 {
    listener.local_addr().expect("bound").port()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_attempt_without_an_http_answer_says_why_in_a_few_words() {
    let (t, _) = spawn_with_database_and(WebhookSettings {
        request_timeout_ms: 1_000,
        // One attempt each: the next would be an hour later.
        retry_schedule_ms: vec![3_600_000],
        retry_for_ms: 2 * 3_600_000,
        ..webhook_settings(true)
    })
    .await;
    let closed = local_port(&TcpListener::bind("127.0.0.1:0").expect("a port"));
    // Connections queue on a listener that never accepts them: nothing answers.
    let silent = TcpListener::bind("127.0.0.1:0").expect("a port");
    let (plain, plain_url) = receiver();
    let plain_port = plain_url
        .trim_start_matches("http://127.0.0.1:")
        .trim_end_matches("/hook");
    let (answering, answering_url) = receiver();
    answering.failing.store(true, Ordering::SeqCst);

    let failures = [
        (
            format!("http://127.0.0.1:{closed}/hook"),
            "connection refused",
        ),
        (
            format!("http://127.0.0.1:{}/hook", local_port(&silent)),
            "timed out after 1 s",
        ),
        (
            "http://no-such-host.invalid/hook".to_owned(),
            "host name could not be resolved",
        ),
        (
            format!("https://127.0.0.1:{plain_port}/hook"),
            "TLS handshake failed",
        ),
    ];
    for (url, why) in failures {
        let d = attempted(&t, &url).await;
        assert_eq!(
            (d["last_error"].clone(), d["last_status_code"].clone()),
            (json!(why), Value::Null),
            "{url}: {d}"
        );
    }
    let answered = attempted(&t, &answering_url).await;
    assert_eq!(
        (
            answered["last_status_code"].clone(),
            answered["last_error"].clone()
        ),
        (json!(500), Value::Null),
        "an endpoint that answered has its status, and no error: {answered}"
    );
    assert!(
        plain.got.lock().expect("lock").is_empty(),
        "TLS never got to HTTP"
    );
    t.app.stop().await;
}
