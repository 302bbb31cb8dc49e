//! Sign-in throttling: per address and per username (`429` + `Retry-After`), locks with
//! growing delays that never keep a user out of an address they signed in from, admin unlock.

use chrono::Duration;
use kuaidi_shared::clock::Clock;
use kuaidi_shared::testing::{body_json, TestEnv};
use serde_json::{json, Value};
use std::net::IpAddr;

use crate::helpers::{admin_token, login, token_request, TestGateway, ADMIN_PASSWORD};

/// A client whose requests come from another loopback address.
fn stranger() -> reqwest::Client {
    reqwest::Client::builder()
        .local_address(IpAddr::from([127, 0, 0, 2]))
        .build()
        .expect("client")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forty_failed_sign_ins_from_one_address_are_throttled_with_a_retry_after() {
    let gw = TestGateway::spawn_with(TestEnv::new(), |s| {
        s.rate_limits.auth_per_address = 1;
        s.rate_limits.auth_per_username = 0;
    })
    .await;
    let mut throttled = None;
    for i in 0..40 {
        let resp = login(&gw.env.http, &gw.app.url(), &format!("user{i}"), "wrong").await;
        if resp.status() == 429 {
            throttled = Some(resp);
            break;
        }
        assert_eq!(resp.status(), 401);
    }
    let throttled = throttled.expect("one address is throttled before 40 attempts");
    let retry_after: u64 = throttled.headers()["retry-after"]
        .to_str()
        .expect("ascii")
        .parse()
        .expect("seconds");
    assert!(retry_after >= 1);
    gw.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn attempts_on_one_username_are_throttled_whatever_the_address() {
    let gw = TestGateway::spawn_with(TestEnv::new(), |s| {
        s.rate_limits.auth_per_address = 0;
        s.rate_limits.auth_per_username = 1;
    })
    .await;
    let mut statuses = Vec::new();
    for i in 0..40 {
        let client = if i % 2 == 0 {
            gw.env.http.clone()
        } else {
            stranger()
        };
        let status = login(&client, &gw.app.url(), "someone", "wrong")
            .await
            .status();
        statuses.push(status.as_u16());
        if status == 429 {
            break;
        }
    }
    assert_eq!(statuses.last(), Some(&429), "{statuses:?}");
    let other = login(&gw.env.http, &gw.app.url(), "admin", ADMIN_PASSWORD).await;
    assert_eq!(other.status(), 200, "another username is not throttled");
    gw.stop().await;
}

/// `POST /api/v1/auth/token` for `client_id` with `secret`: the status.
async fn client_token(gw: &TestGateway, client_id: &str, secret: &str) -> u16 {
    let form = [
        ("grant_type", "client_credentials"),
        ("client_id", client_id),
        ("client_secret", secret),
    ];
    token_request(gw, &form).await.status().as_u16()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_clients_right_secret_is_never_throttled_while_wrong_ones_are() {
    let gw = TestGateway::spawn_with(TestEnv::new(), |s| {
        s.rate_limits.auth_free_failures_per_address = 3;
        // Not the flood limit per address (tested above): the client's own.
        s.rate_limits.auth_per_address = 0;
    })
    .await;
    let admin = gw.admin_token().await;
    let client = kuaidi_gateway::testing::merchant_client(&gw, &admin).await;
    let (id, secret) = (
        client["client_id"].as_str().expect("id"),
        client["client_secret"].as_str().expect("secret"),
    );
    // A test run or a busy integration asks for many tokens at once: none is refused.
    for i in 0..15 {
        assert_eq!(client_token(&gw, id, secret).await, 200, "token {i}");
    }
    // Wrong secrets from this address: refused, then throttled...
    let mut wrong = Vec::new();
    for _ in 0..5 {
        wrong.push(client_token(&gw, id, "guess").await);
    }
    assert_eq!(wrong, [401, 401, 401, 429, 429]);
    // ...while the right one still passes from the same address.
    assert_eq!(client_token(&gw, id, secret).await, 200);
    gw.stop().await;
}

fn retry_after(resp: &reqwest::Response) -> u64 {
    resp.headers()["retry-after"]
        .to_str()
        .expect("ascii")
        .parse()
        .expect("seconds")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_address_that_keeps_failing_waits_twice_as_long_before_each_further_attempt() {
    const FREE: u32 = 10;
    let clock = Clock::manual(Clock::system().now());
    let moved = clock.clone();
    let gw = TestGateway::spawn_with(TestEnv::new(), move |s| {
        s.rate_limits.auth_per_address = 0;
        s.rate_limits.auth_per_username = 0;
        s.rate_limits.auth_free_failures_per_address = FREE;
        s.clock = moved;
    })
    .await;
    let (base, stranger) = (gw.app.url(), stranger());
    for i in 0..FREE {
        let resp = login(&stranger, &base, &format!("guess{i}"), "wrong").await;
        assert_eq!(resp.status(), 401, "free failure {i}");
    }
    let waiting = login(&stranger, &base, "admin", ADMIN_PASSWORD).await;
    assert_eq!(waiting.status(), 429, "even the right password waits");
    assert_eq!(retry_after(&waiting), 1);
    assert_eq!(
        login(&gw.env.http, &base, "admin", ADMIN_PASSWORD)
            .await
            .status(),
        200,
        "another address does not wait"
    );
    for expected in [2, 4, 8] {
        clock.advance(Duration::seconds(expected / 2));
        let tried = login(&stranger, &base, "guess", "wrong").await;
        assert_eq!(tried.status(), 401, "the delay was waited out");
        let waiting = login(&stranger, &base, "guess", "wrong").await;
        assert_eq!(waiting.status(), 429);
        assert_eq!(retry_after(&waiting), expected as u64, "doubles");
    }
    clock.advance(Duration::seconds(7));
    assert_eq!(
        retry_after(&login(&stranger, &base, "admin", ADMIN_PASSWORD).await),
        1,
        "a refused attempt does not restart the delay"
    );
    clock.advance(Duration::seconds(1));
    assert_eq!(
        login(&stranger, &base, "admin", ADMIN_PASSWORD)
            .await
            .status(),
        200
    );
    gw.stop().await;
}

async fn user_id(gw: &TestGateway, admin: &str, username: &str) -> String {
    let page = body_json(gw.get(admin, "/api/v1/users?limit=200").await).await;
    page["data"]
        .as_array()
        .expect("users")
        .iter()
        .find(|u| u["username"] == username)
        .and_then(|u| u["id"].as_str())
        .expect("user listed")
        .to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_strangers_failures_lock_the_username_for_strangers_but_not_for_the_owners_known_address()
{
    let gw = TestGateway::spawn_with(TestEnv::new(), |s| {
        s.rate_limits.auth_per_address = 0;
        s.rate_limits.auth_per_username = 0;
    })
    .await;
    let base = gw.app.url();
    let admin = admin_token(&gw.env.http, &base).await; // signs in from 127.0.0.1
    let stranger = stranger();
    for _ in 0..5 {
        assert_eq!(
            login(&stranger, &base, "admin", "guess").await.status(),
            401
        );
    }
    assert_eq!(
        login(&stranger, &base, "admin", ADMIN_PASSWORD)
            .await
            .status(),
        401,
        "locked for the stranger's address even with the right password"
    );
    assert_eq!(
        login(&gw.env.http, &base, "admin", ADMIN_PASSWORD)
            .await
            .status(),
        200,
        "the owner signs in from the address they used before"
    );
    let locks = body_json(gw.get(&admin, "/api/v1/audit-log?action=auth.lock").await).await;
    let id = user_id(&gw, &admin, "admin").await;
    let lock = locks["data"]
        .as_array()
        .and_then(|rows| rows.iter().find(|r| r["action"] == "auth.lock"))
        .expect("the lock is audited");
    assert_eq!(lock["target"], id.as_str());
    assert_eq!(lock["ip"], "127.0.0.2");
    gw.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_username_throttled_by_strangers_still_signs_in_from_its_owners_known_address() {
    // The per-username bucket at its default (1/s, burst 10); only the address limit is off.
    let gw = TestGateway::spawn_with(TestEnv::new(), |s| s.rate_limits.auth_per_address = 0).await;
    let base = gw.app.url();
    admin_token(&gw.env.http, &base).await; // the owner signs in from 127.0.0.1
    let from = |last: u8| {
        reqwest::Client::builder()
            .local_address(IpAddr::from([127, 0, 0, last]))
            .build()
            .expect("client")
    };
    // Strangers at many addresses, a few attempts each: no address is slowed down, the
    // username's own bucket runs dry.
    let mut statuses = Vec::new();
    'strangers: for last in 2..12 {
        let stranger = from(last);
        for _ in 0..4 {
            let status = login(&stranger, &base, "admin", "guess").await.status();
            statuses.push(status.as_u16());
            if status == 429 {
                break 'strangers;
            }
        }
    }
    assert_eq!(
        statuses.last(),
        Some(&429),
        "the username is throttled: {statuses:?}"
    );
    // Straight after the bucket ran dry (it refills one attempt a second):
    assert_eq!(
        login(&gw.env.http, &base, "admin", ADMIN_PASSWORD)
            .await
            .status(),
        200,
        "the owner's known address is not throttled by the strangers' attempts"
    );
    gw.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_admin_unlocks_a_locked_user_and_the_unlock_is_audited() {
    let gw = TestGateway::spawn_with(TestEnv::new(), |s| {
        s.rate_limits.auth_per_address = 0;
        s.rate_limits.auth_per_username = 0;
    })
    .await;
    let base = gw.app.url();
    let admin = gw.admin_token().await;
    let created = gw
        .post(
            &admin,
            "/api/v1/users",
            &json!({"username": "wang.wu", "password": "Parcel-2026-autumn", "role": "agent"}),
        )
        .await;
    assert_eq!(created.status(), 201);
    let id = created.json::<Value>().await.expect("json")["id"]
        .as_str()
        .expect("id")
        .to_owned();
    for _ in 0..5 {
        login(&gw.env.http, &base, "wang.wu", "nope").await;
    }
    assert_eq!(
        login(&gw.env.http, &base, "wang.wu", "Parcel-2026-autumn")
            .await
            .status(),
        401,
        "locked"
    );
    let unlock = gw
        .post(&admin, &format!("/api/v1/users/{id}:unlock"), &json!({}))
        .await;
    assert_eq!(unlock.status(), 204);
    assert_eq!(
        login(&gw.env.http, &base, "wang.wu", "Parcel-2026-autumn")
            .await
            .status(),
        200
    );
    let audit = body_json(gw.get(&admin, "/api/v1/audit-log?action=user.unlock").await).await;
    assert!(audit["data"]
        .as_array()
        .expect("rows")
        .iter()
        .any(|r| r["action"] == "user.unlock" && r["target"] == id.as_str()));
    let missing = gw
        .post(
            &admin,
            "/api/v1/users/0193a0c4-8a6e-7c1a-9a51-5f0c2b1d7e01:unlock",
            &json!({}),
        )
        .await;
    assert_eq!(missing.status(), 404);
    gw.stop().await;
}
