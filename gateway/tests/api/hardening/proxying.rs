//! What the proxy forwards and how it behaves when a service fails: trace and forwarding
//! headers, one retry of an idempotent request after a connection failure, `/readyz` 503.

use actix_web::{web, HttpRequest, HttpResponse};
use kuaidi_shared::testing::{send_json, stub_server, TestEnv};
use secrecy::ExposeSecret;
use serde_json::{json, Value};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

use crate::helpers::TestGateway;

/// A service answering every request with the headers it received.
fn echo_service() -> (String, actix_web::dev::ServerHandle) {
    let (port, handle) = stub_server(web::Data::new(()), |req: HttpRequest| async move {
        let headers: serde_json::Map<String, Value> = req
            .headers()
            .iter()
            .map(|(n, v)| (n.to_string(), json!(v.to_str().unwrap_or_default())))
            .collect();
        HttpResponse::Ok().json(headers)
    });
    (format!("http://127.0.0.1:{port}"), handle)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_trace_context_and_forwarding_headers_reach_the_service_and_spoofed_ones_do_not() {
    let (url, echo) = echo_service();
    let gw = TestGateway::spawn_with(TestEnv::new(), |s| s.services.analytics = url).await;
    let admin = gw.admin_token().await;
    let trace = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
    let seen = send_json(
        gw.request(reqwest::Method::GET, "/api/v1/analytics/kpis", &admin)
            .header("traceparent", trace)
            .header("x-forwarded-for", "6.6.6.6"),
    )
    .await;
    let traceparent = seen["traceparent"].as_str().expect("traceparent forwarded");
    assert!(
        traceparent.contains("4bf92f3577b34da6a3ce929d0e0e4736"),
        "the caller's trace id is kept: {traceparent}"
    );
    assert_eq!(
        seen["x-forwarded-for"], "127.0.0.1",
        "set by the gateway, not the caller"
    );
    assert_eq!(seen["x-forwarded-proto"], "http");
    assert_eq!(
        seen["x-forwarded-host"],
        format!("127.0.0.1:{}", gw.app.port)
    );
    assert!(seen["x-request-id"]
        .as_str()
        .is_some_and(|id| !id.is_empty()));
    assert_eq!(seen["authorization"], format!("Bearer {admin}"));
    echo.stop(false).await;
    gw.stop().await;
}

/// A service that closes the connection of the first API request unanswered and answers every
/// other request `200`; returns its URL and how many API requests reached it.
async fn flaky_service() -> (String, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let url = format!(
        "http://127.0.0.1:{}",
        listener.local_addr().expect("addr").port()
    );
    let api_requests = Arc::new(AtomicUsize::new(0));
    let counted = api_requests.clone();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            let mut head = vec![0_u8; 8192];
            let n = socket.read(&mut head).await.unwrap_or(0);
            let is_api = String::from_utf8_lossy(&head[..n]).starts_with("GET /api/");
            if is_api && counted.fetch_add(1, Ordering::SeqCst) == 0 {
                drop(socket); // the first API request dies with its connection
                continue;
            }
            let body = "{\"ok\":true}";
            let answer = format!(
                "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                body.len()
            );
            let _ = socket.write_all(answer.as_bytes()).await;
        }
    });
    (url, api_requests)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_get_is_retried_once_after_a_connection_failure() {
    let (url, connections) = flaky_service().await;
    let gw = TestGateway::spawn_with(TestEnv::new(), |s| s.services.analytics = url).await;
    let admin = gw.admin_token().await;
    let resp = gw.get(&admin, "/api/v1/analytics/kpis").await;
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.json::<Value>().await.expect("json")["ok"], true);
    assert_eq!(
        connections.load(Ordering::SeqCst),
        2,
        "the first attempt and one retry"
    );
    gw.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readyz_answers_503_when_the_database_is_gone() {
    let mut database = None;
    let gw = TestGateway::spawn_with(TestEnv::new(), |s| {
        database = Some(s.database_url.expose_secret().to_owned());
    })
    .await;
    assert_eq!(gw.get("", "/readyz").await.status(), 200);
    let database = database.expect("url");
    let name = database.rsplit('/').next().expect("name").to_owned();
    let admin_url = database.replace(&format!("/{name}"), "/postgres");
    let mut conn =
        <diesel::PgConnection as diesel::Connection>::establish(&admin_url).expect("connects");
    // Gone for the gateway: no new connection is allowed and its open ones are ended (a DROP
    // DATABASE would force a checkpoint of every test database on the machine).
    for sql in [
        format!("ALTER DATABASE \"{name}\" ALLOW_CONNECTIONS false"),
        format!("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'"),
    ] {
        diesel::RunQueryDsl::execute(diesel::sql_query(sql), &mut conn).expect("database gone");
    }
    let ready = gw.get("", "/readyz").await;
    assert_eq!(ready.status(), 503);
    assert_eq!(ready.headers()["content-type"], "application/problem+json");
    let problem: Value = ready.json().await.expect("json");
    assert_eq!(problem["checks"]["database"], "down");
    gw.stop().await;
}
