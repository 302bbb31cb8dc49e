//! Idempotency records: answers kept sealed, `409` while the first request runs, keys scoped to
//! the caller.

use kuaidi_shared::testing::TestEnv;
use serde_json::{json, Value};
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
