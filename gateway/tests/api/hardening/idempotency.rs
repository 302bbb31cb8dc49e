//! Idempotency records: answers kept sealed, `409` while the first request runs, keys scoped to
//! the caller; a refused or failed request keeps nothing, so its key runs again.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use diesel::prelude::*;
use kuaidi_shared::testing::{expect_problem, stub_server, TestEnv};
use secrecy::ExposeSecret;
use serde_json::{json, Value};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use tokio::io::AsyncReadExt;
use tokio::net::TcpListener;

use crate::helpers::{keyed, shipment_body, TestGateway};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_key_whose_first_request_is_still_running_answers_409() {
    // A service that takes the request and does not answer until the test is done.
    let service = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let port = service.local_addr().expect("addr").port();
    let (accepted_tx, mut accepted) = tokio::sync::mpsc::channel(1);
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = service.accept().await {
            let accepted_tx = accepted_tx.clone();
            tokio::spawn(async move {
                let mut head = [0_u8; 4];
                if socket.read_exact(&mut head).await.is_ok() && &head == b"POST" {
                    let _ = accepted_tx.send(()).await;
                }
                tokio::time::sleep(std::time::Duration::from_secs(30)).await;
                drop(socket);
            });
        }
    });
    let gw = TestGateway::spawn_with(TestEnv::new(), |s| {
        s.services.shipments = format!("http://127.0.0.1:{port}");
        s.proxy.timeout_ms = 3_000;
    })
    .await;
    let admin = gw.admin_token().await;
    let first = {
        let request = gw
            .request(reqwest::Method::POST, "/api/v1/shipments", &admin)
            .header("idempotency-key", "slow-1")
            .json(&shipment_body(3));
        tokio::spawn(request.send())
    };
    accepted
        .recv()
        .await
        .expect("the first request reached the service");
    let second = keyed(&gw, &admin, "slow-1", &shipment_body(3)).await;
    assert_eq!(second.status(), 409);
    assert_eq!(
        second.json::<Value>().await.expect("json")["code"],
        "idempotency_key_in_use"
    );
    first.abort();
    gw.stop().await;
}

/// POSTs `body` to the gateway's own `path` with an `Idempotency-Key`.
async fn keyed_own(
    gw: &TestGateway,
    token: &str,
    path: &str,
    key: &str,
    body: &Value,
) -> reqwest::Response {
    gw.request(reqwest::Method::POST, path, token)
        .header("idempotency-key", key)
        .json(body)
        .send()
        .await
        .expect("request")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_gateways_own_creates_honour_idempotency_keys() {
    let gw = TestGateway::spawn().await;
    let admin = gw.admin_token().await;
    let merchant = "0193a0c4-8a6e-7c1a-9a51-5f0c2b1d7e01";
    let cases = [
        (
            "/api/v1/users",
            json!({"username": "li.lei", "password": "Parcel-2026-winter", "role": "agent"}),
        ),
        (
            "/api/v1/clients",
            json!({"name": "Shop A", "role": "merchant", "merchant_id": merchant}),
        ),
        (
            "/api/v1/api-keys",
            json!({"name": "Shop A key", "merchant_id": merchant}),
        ),
    ];
    for (path, body) in cases {
        let key = format!("create-{path}");
        let first = keyed_own(&gw, &admin, path, &key, &body).await;
        assert_eq!(first.status(), 201, "{path}");
        let location = first.headers()["location"].clone();
        let first: Value = first.json().await.expect("json");
        let again = keyed_own(&gw, &admin, path, &key, &body).await;
        assert_eq!(
            again.status(),
            201,
            "{path}: the original answer, not a second create"
        );
        assert_eq!(again.headers()["location"], location, "{path}");
        assert_eq!(again.headers()["idempotent-replayed"], "true", "{path}");
        assert_eq!(again.json::<Value>().await.expect("json"), first, "{path}");
        let mut other = body.clone();
        other["name"] = json!("Another name");
        other["username"] = json!("han.meimei");
        let reused = keyed_own(&gw, &admin, path, &key, &other).await;
        assert_eq!(reused.status(), 422, "{path}: the key with another body");
        let problem = kuaidi_shared::testing::expect_problem(reused, 422).await;
        assert_eq!(problem["code"], "idempotency_key_reused", "{path}");
        assert_eq!(
            problem["instance"], path,
            "{path}: a whole problem document"
        );
        assert!(problem["request_id"].is_string(), "{path}");
        let listed: Value = gw.get(&admin, path).await.json().await.expect("json");
        let same = |r: &&Value| match body.get("username") {
            Some(username) => &r["username"] == username,
            None => r["name"] == body["name"],
        };
        let copies = listed["data"]
            .as_array()
            .expect("list")
            .iter()
            .filter(same)
            .count();
        assert_eq!(copies, 1, "{path}: created once");
    }
    gw.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_own_create_keeps_nothing_so_its_key_runs_again_corrected() {
    let gw = TestGateway::spawn().await;
    let admin = gw.admin_token().await;
    let path = "/api/v1/users";
    let invalid =
        json!({"username": "wang.fang", "password": "Parcel-2026-winter", "role": "alien"});
    for attempt in ["first", "again, same body"] {
        let refused = keyed_own(&gw, &admin, path, "user-1", &invalid).await;
        assert!(
            refused.headers().get("idempotent-replayed").is_none(),
            "{attempt}: ran, not replayed"
        );
        let problem = expect_problem(refused, 422).await;
        assert_ne!(problem["code"], "idempotency_key_reused", "{attempt}");
    }
    let mut corrected = invalid.clone();
    corrected["role"] = json!("agent");
    let created = keyed_own(&gw, &admin, path, "user-1", &corrected).await;
    assert_eq!(created.status(), 201, "the corrected create runs");
    let created: Value = created.json().await.expect("json");
    let replay = keyed_own(&gw, &admin, path, "user-1", &corrected).await;
    assert_eq!(replay.status(), 201);
    assert_eq!(replay.headers()["idempotent-replayed"], "true");
    assert_eq!(replay.json::<Value>().await.expect("json"), created);
    gw.stop().await;
}

/// A service answering each request with the status its body names (`{"answer": 422}`) and
/// the request's number; the counter says how many requests reached it.
fn scripted_service() -> (String, Arc<AtomicUsize>, actix_web::dev::ServerHandle) {
    let calls = Arc::new(AtomicUsize::new(0));
    let answer = |calls: web::Data<AtomicUsize>, body: web::Json<Value>| async move {
        let call = calls.fetch_add(1, Ordering::SeqCst) + 1;
        let status = body["answer"].as_u64().and_then(|s| u16::try_from(s).ok());
        let status = status.and_then(|s| StatusCode::from_u16(s).ok());
        HttpResponse::build(status.unwrap_or(StatusCode::OK)).json(json!({"call": call}))
    };
    let (port, handle) = stub_server(web::Data::from(calls.clone()), answer);
    (format!("http://127.0.0.1:{port}"), calls, handle)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_or_failed_request_keeps_nothing_so_its_key_runs_again() {
    let (url, calls, service) = scripted_service();
    let gw = TestGateway::spawn_with(TestEnv::new(), |s| s.services.shipments = url).await;
    let admin = gw.admin_token().await;
    let refusals = [400, 401, 403, 404, 409, 412, 413, 415, 422, 429, 500, 503];
    for status in refusals {
        let key = format!("refused-{status}");
        let refused = json!({"answer": status});
        for attempt in ["first", "again, same body"] {
            let resp = keyed(&gw, &admin, &key, &refused).await;
            assert_eq!(resp.status().as_u16(), status, "{key}, {attempt}");
            assert!(
                resp.headers().get("idempotent-replayed").is_none(),
                "{key}, {attempt}: ran, not replayed"
            );
        }
        let corrected = json!({"answer": 201});
        let created = keyed(&gw, &admin, &key, &corrected).await;
        assert_eq!(created.status(), 201, "{key}: the corrected request runs");
        let created: Value = created.json().await.expect("json");
        let replay = keyed(&gw, &admin, &key, &corrected).await;
        assert_eq!(replay.status(), 201, "{key}");
        assert_eq!(replay.headers()["idempotent-replayed"], "true", "{key}");
        assert_eq!(
            replay.json::<Value>().await.expect("json"),
            created,
            "{key}"
        );
        let reused = expect_problem(keyed(&gw, &admin, &key, &refused).await, 422).await;
        assert_eq!(
            reused["code"], "idempotency_key_reused",
            "{key}: after a success, another body is refused"
        );
    }
    assert_eq!(
        calls.load(Ordering::SeqCst),
        refusals.len() * 3,
        "each key: two refusals and one create reached the service, nothing else"
    );
    service.stop(false).await;
    gw.stop().await;
}

/// A record holding a refusal (kept by a replica not yet upgraded, or before the upgrade) is
/// not replayed: the request takes the key over and runs.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refusal_kept_by_an_earlier_version_is_not_replayed() {
    let (url, calls, service) = scripted_service();
    let mut database = None;
    let gw = TestGateway::spawn_with(TestEnv::new(), |s| {
        s.services.shipments = url;
        database = Some(s.database_url.expose_secret().to_owned());
    })
    .await;
    let admin = gw.admin_token().await;
    let body = json!({"answer": 201});
    assert_eq!(keyed(&gw, &admin, "legacy-1", &body).await.status(), 201);
    let mut conn = PgConnection::establish(&database.expect("url")).expect("connects");
    let kept_as_refusal = "UPDATE idempotency_keys SET status = 422 WHERE key = 'legacy-1'";
    let updated = diesel::sql_query(kept_as_refusal)
        .execute(&mut conn)
        .expect("updates");
    assert_eq!(updated, 1, "the record of the first request");
    let again = keyed(&gw, &admin, "legacy-1", &body).await;
    assert_eq!(again.status(), 201, "not the kept 422");
    assert!(again.headers().get("idempotent-replayed").is_none());
    let replay = keyed(&gw, &admin, "legacy-1", &body).await;
    assert_eq!(replay.headers()["idempotent-replayed"], "true");
    assert_eq!(calls.load(Ordering::SeqCst), 2);
    service.stop(false).await;
    gw.stop().await;
}
