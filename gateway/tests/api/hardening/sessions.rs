//! Refresh sessions end when the user's password, role or activity changes, and 30 days after
//! their login however often they were refreshed.

use chrono::Duration;
use kuaidi_shared::clock::Clock;
use kuaidi_shared::testing::{body_json, TestEnv};
use serde_json::{json, Value};

use crate::helpers::{login, TestGateway};

const PASSWORD: &str = "Parcel-2026-autumn";

/// Creates an agent and signs them in; returns their id and refresh token.
async fn agent_session(gw: &TestGateway, admin: &str) -> (String, String) {
    let created = body_json(
        gw.post(
            admin,
            "/api/v1/users",
            &json!({"username": "zhao.liu", "password": PASSWORD, "role": "agent"}),
        )
        .await,
    )
    .await;
    let session = body_json(login(&gw.env.http, &gw.app.url(), "zhao.liu", PASSWORD).await).await;
    (
        created["id"].as_str().expect("id").to_owned(),
        session["refresh_token"]
            .as_str()
            .expect("refresh")
            .to_owned(),
    )
}

async fn refresh(gw: &TestGateway, token: &str) -> reqwest::Response {
    gw.post("", "/api/v1/auth/refresh", &json!({"refresh_token": token}))
        .await
}

async fn change_user_then_refresh(change: Value) -> u16 {
    let gw = TestGateway::spawn().await;
    let admin = gw.admin_token().await;
    let (id, token) = agent_session(&gw, &admin).await;
    let patched = gw
        .request(
            reqwest::Method::PATCH,
            &format!("/api/v1/users/{id}"),
            &admin,
        )
        .json(&change)
        .send()
        .await
        .expect("sent");
    assert_eq!(patched.status(), 200);
    let status = refresh(&gw, &token).await.status().as_u16();
    gw.stop().await;
    status
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_password_change_ends_the_users_refresh_sessions() {
    assert_eq!(
        change_user_then_refresh(json!({"password": "Another-2026-pass"})).await,
        401
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_role_change_ends_the_users_refresh_sessions() {
    assert_eq!(
        change_user_then_refresh(json!({"role": "analyst"})).await,
        401
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deactivation_by_patch_ends_the_users_refresh_sessions() {
    assert_eq!(
        change_user_then_refresh(json!({"disabled": true})).await,
        401
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_display_name_change_keeps_the_session() {
    assert_eq!(
        change_user_then_refresh(json!({"display_name": "赵六"})).await,
        200
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deleting_a_user_revokes_their_refresh_tokens() {
    let gw = TestGateway::spawn().await;
    let admin = gw.admin_token().await;
    let (id, token) = agent_session(&gw, &admin).await;
    assert_eq!(
        gw.delete(&admin, &format!("/api/v1/users/{id}"))
            .await
            .status(),
        204
    );
    assert_eq!(refresh(&gw, &token).await.status(), 401);
    gw.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refresh_session_ends_thirty_days_after_its_login_however_often_it_is_refreshed() {
    let clock = Clock::manual(Clock::system().now());
    let moved = clock.clone();
    let gw = TestGateway::spawn_with(TestEnv::new(), move |s| s.clock = moved).await;
    let admin = gw.admin_token().await;
    let (_, mut token) = agent_session(&gw, &admin).await;
    for _ in 0..2 {
        clock.advance(Duration::days(13));
        let resp = refresh(&gw, &token).await;
        assert_eq!(
            resp.status(),
            200,
            "within the sliding and the absolute lifetime"
        );
        let body: Value = resp.json().await.expect("json");
        token = body["refresh_token"].as_str().expect("token").to_owned();
    }
    clock.advance(Duration::days(5)); // 31 days after the login, 5 after the last refresh
    assert_eq!(refresh(&gw, &token).await.status(), 401);
    gw.stop().await;
}
