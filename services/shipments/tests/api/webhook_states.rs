//! A webhook endpoint's signing and state changed by its owner's `PATCH`: a rotated secret
//! signs what is sent from then on, and an endpoint disabled (after failing, or by its owner)
//! is enabled again with a clean record, its waiting deliveries sent.

use diesel::sql_types::{Nullable, Text, Timestamptz};
use diesel::{Connection, PgConnection, QueryableByName, RunQueryDsl};
use kuaidi_shared::testing::{body_json, eventually, expect_json};
use serde_json::{json, Value};
use std::sync::atomic::Ordering;
use std::time::Duration;
use uuid::Uuid;

use crate::webhook_edits::{
    etag_of, patch, receiver, register, signed_with, spawn, Received, WAIT,
};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rotated_secret_is_shown_once_and_signs_what_is_sent_from_then_on() {
    let (t, _) = spawn(3_600_000).await;
    let token = t.merchant(Uuid::now_v7());
    let (received, url) = receiver();
    let (location, etag, created) = register(&t, &token, &url).await;
    let old = created["secret"].as_str().expect("secret").to_owned();

    let resp = patch(
        &t,
        &token,
        &location,
        json!({"rotate_secret": true}),
        Some(&etag),
    )
    .await;
    assert_ne!(etag_of(&resp), etag, "a new secret is a new version");
    let rotated = expect_json(resp, 200).await;
    let new = rotated["secret"]
        .as_str()
        .expect("the new secret, shown once")
        .to_owned();

    assert_ne!(new, old);
    assert_eq!(rotated["version"], 2);
    let read = expect_json(t.get(&token, &location).await, 200).await;
    assert!(read.get("secret").is_none(), "and never again: {read}");
    expect_json(
        t.post(&token, &format!("{location}:test"), &json!({}))
            .await,
        202,
    )
    .await;
    let got = eventually(WAIT, "the test event", || async {
        received.got.lock().expect("lock").first().cloned()
    })
    .await;
    assert!(signed_with(&new, &got), "signed with the new secret");
    assert!(!signed_with(&old, &got), "not with the old one");
    let own = patch(&t, &token, &location, json!({"secret": "mine"}), None).await;
    assert_eq!(
        expect_json(own, 200).await["secret"],
        "mine",
        "a chosen secret, echoed once"
    );
    t.app.stop().await;
}

#[derive(QueryableByName)]
struct Streak {
    #[diesel(sql_type = Nullable<Timestamptz>)]
    failing_since: Option<chrono::DateTime<chrono::Utc>>,
}

fn failing_since(database: &str, id: &str) -> Option<chrono::DateTime<chrono::Utc>> {
    let mut conn = PgConnection::establish(database).expect("database");
    diesel::sql_query("SELECT failing_since FROM webhook_subscriptions WHERE id = $1::uuid")
        .bind::<Text, _>(id)
        .get_result::<Streak>(&mut conn)
        .expect("the subscription")
        .failing_since
}

/// Forgets the subscription's deliveries, so that nothing the worker sends moves its record.
fn forget_deliveries(database: &str, id: &str) {
    let mut conn = PgConnection::establish(database).expect("database");
    diesel::sql_query("DELETE FROM webhook_deliveries WHERE subscription_id = $1::uuid")
        .bind::<Text, _>(id)
        .execute(&mut conn)
        .expect("deleted");
}

fn calls(received: &Received) -> usize {
    received.got.lock().expect("lock").len()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_disabled_endpoint_is_enabled_again_by_its_owner_with_a_clean_record() {
    let (t, database) = spawn(300).await;
    let token = t.merchant(Uuid::now_v7());
    let (received, url) = receiver();
    received.failing.store(true, Ordering::SeqCst);
    let (location, created_tag, created) = register(&t, &token, &url).await;
    let id = created["id"].as_str().expect("id").to_owned();
    let (action, nothing) = (format!("{location}:test"), json!({}));
    let test = || t.post(&token, &action, &nothing);
    expect_json(test().await, 202).await;
    let disabled = eventually(WAIT, "the failing endpoint disabled", || async {
        let w = body_json(t.get(&token, &location).await).await;
        (w["enabled"] == false).then_some(w)
    })
    .await;
    assert!(disabled["disabled_at"].is_string(), "{disabled}");
    assert_eq!(disabled["version"], 2, "disabling makes a new version");
    assert_eq!(
        t.revalidate(&token, &location, &created_tag).await.status(),
        200
    );
    assert!(failing_since(&database, &id).is_some(), "a failing run");
    forget_deliveries(&database, &id);

    let on = patch(
        &t,
        &token,
        &location,
        json!({"enabled": true}),
        Some("\"2\""),
    )
    .await;
    let on = expect_json(on, 200).await;

    assert_eq!(
        (on["enabled"].clone(), on["disabled_at"].clone()),
        (json!(true), Value::Null)
    );
    assert_eq!(on["version"], 3);
    assert_eq!(
        failing_since(&database, &id),
        None,
        "the failing run starts over"
    );
    received.failing.store(false, Ordering::SeqCst);
    let off = expect_json(
        patch(&t, &token, &location, json!({"enabled": false}), None).await,
        200,
    )
    .await;
    assert_eq!(
        (off["enabled"].clone(), off["version"].clone()),
        (json!(false), json!(4))
    );
    assert!(off["disabled_at"].is_string());
    let before = calls(&received);
    expect_json(test().await, 202).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(
        calls(&received),
        before,
        "a disabled endpoint is not called"
    );
    expect_json(
        patch(&t, &token, &location, json!({"enabled": true}), None).await,
        200,
    )
    .await;
    eventually(WAIT, "the delivery that waited, sent", || async {
        (calls(&received) > before).then_some(())
    })
    .await;
    t.app.stop().await;
}
