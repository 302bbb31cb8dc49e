//! Read after write: a replica that acknowledged a write answers the next read with it — not
//! with what its tracking caches held, whose notification reaches its listener a poll later.

use chrono::{Duration, Utc};
use kuaidi_shared::auth::Role;
use serde_json::{json, Value};

use crate::helpers::{spawn, Shipments, TestApp};

/// Writes and reads in a row: enough for a cache forgotten only by the listener to be caught.
const ROUNDS: usize = 30;

/// A read of `path` (with `token`, or none: public), conditional on `etag` when given; its
/// status, `ETag` and body.
async fn read(
    t: &TestApp,
    token: Option<&str>,
    path: &str,
    etag: Option<&str>,
) -> (u16, String, Value) {
    let mut req = t.env.http.get(t.url(path));
    if let Some(token) = token {
        req = req.bearer_auth(token);
    }
    if let Some(tag) = etag {
        req = req.header("if-none-match", tag);
    }
    let resp = req.send().await.expect("sent");
    let status = resp.status().as_u16();
    let tag = resp
        .headers()
        .get("etag")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let body = if status == 200 {
        resp.json().await.expect("json")
    } else {
        Value::Null
    };
    (status, tag, body)
}

/// Scan `i` of the rounds: statuses alternate, each newer than the last.
fn scan(i: usize) -> (Value, &'static str) {
    let status = if i.is_multiple_of(2) {
        "in_transit"
    } else {
        "out_for_delivery"
    };
    let at = Utc::now() - Duration::hours(1) + Duration::seconds(i as i64);
    let event = json!({"event_id": format!("raw-{i}"), "status": status,
        "occurred_at": at.to_rfc3339(), "location": {"city": "上海", "hub_code": "SHA01"}});
    (event, status)
}

/// Reads both views of `tn` (so they are cached), lets `write` record scan `i`, then reads
/// again at once, naming the old tags: each answer is new and shows the scan.
async fn write_then_read<F, Fut>(t: &TestApp, tn: &str, write: F)
where
    F: Fn(usize, Value) -> Fut,
    Fut: std::future::Future<Output = u16>,
{
    let admin = t.admin();
    let (private, public) = (
        format!("/api/v1/shipments/{tn}"),
        format!("/api/v1/tracking/{tn}"),
    );
    for i in 0..ROUNDS {
        let (_, old_private, _) = read(t, Some(&admin), &private, None).await;
        let (_, old_public, _) = read(t, None, &public, None).await;
        let (event, status) = scan(i);

        let accepted = write(i, event).await;

        assert!(
            (200..300).contains(&accepted),
            "round {i}: scan accepted ({accepted})"
        );
        for (token, path, old) in [
            (Some(&*admin), &private, &old_private),
            (None, &public, &old_public),
        ] {
            let (code, tag, body) = read(t, token, path, Some(old)).await;
            assert_eq!(
                code, 200,
                "round {i}: {path} with the tag from before the scan is stale"
            );
            assert_ne!(&tag, old, "round {i}: {path} has a new ETag");
            assert_eq!(body["status"], status, "round {i}: {path} shows the scan");
            assert_eq!(
                body["timeline"].as_array().map(Vec::len),
                Some(i + 1),
                "round {i}: {path}'s timeline holds every scan"
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_read_right_after_an_accepted_scan_shows_it() {
    let t = spawn().await;
    let created = t.created().await;
    let tn = created["tracking_number"].as_str().expect("tn").to_owned();
    let operator = t.env.token(Role::Operator, None);
    let path = format!("/api/v1/shipments/{tn}/events");

    write_then_read(&t, &tn, |_, event| {
        let (t, operator, path) = (&t, &operator, &path);
        async move {
            let resp = t.post(operator, path, &event).await;
            assert_eq!(resp.status(), 201);
            resp.status().as_u16()
        }
    })
    .await;
    t.app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_read_right_after_an_accepted_batch_of_scans_shows_them() {
    let t = spawn().await;
    let created = t.created().await;
    let tn = created["tracking_number"].as_str().expect("tn").to_owned();
    let operator = t.env.token(Role::Operator, None);

    write_then_read(&t, &tn, |_, mut event| {
        let (t, operator, tn) = (&t, &operator, &tn);
        event["tracking_number"] = json!(tn);
        async move {
            let resp = t
                .post(
                    operator,
                    "/api/v1/tracking-events:batch",
                    &json!({"events": [event]}),
                )
                .await;
            let status = resp.status().as_u16();
            let body: Value = resp.json().await.expect("json");
            assert_eq!(body["results"][0]["result"], "accepted", "{body}");
            status
        }
    })
    .await;
    t.app.stop().await;
}
