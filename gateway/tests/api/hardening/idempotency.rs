//! Idempotency records: answers kept sealed, `409` while the first request runs, keys scoped to
//! the caller.

use diesel::prelude::*;
use kuaidi_gateway::db::schema::idempotency_keys;
use kuaidi_shared::testing::TestEnv;
use secrecy::ExposeSecret;
use serde_json::{json, Value};
use tokio::io::AsyncReadExt;
use tokio::net::TcpListener;

use crate::helpers::TestGateway;

fn shipment(weight: u32) -> Value {
    json!({
        "recipient": {"name": "张三", "phone": "13812345678", "address": "建国路 88 号", "city": "北京"},
        "origin": {"city": "上海"}, "destination": {"city": "北京"},
        "service_level": "standard", "weight_kg": weight, "freight": {"amount": "12", "currency": "CNY"},
        "merchant_id": "0193a0c4-8a6e-7c1a-9a51-5f0c2b1d7e01"
    })
}

async fn keyed(gw: &TestGateway, token: &str, key: &str, body: &Value) -> reqwest::Response {
    gw.request(reqwest::Method::POST, "/api/v1/shipments", token)
        .header("idempotency-key", key)
        .json(body)
        .send()
        .await
        .expect("sent")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kept_answers_are_sealed_and_replayed_in_clear() {
    let env = TestEnv::new();
    let shipments = kuaidi_shipments::build(env.settings("shipments"))
        .await
        .expect("builds")
        .spawn();
    let mut database = None;
    let url = shipments.url();
    let gw = TestGateway::spawn_with(env, |s| {
        s.services.shipments = url;
        database = Some(s.database_url.expose_secret().to_owned());
    })
    .await;
    let admin = gw.admin_token().await;
    let first = keyed(&gw, &admin, "order-7", &shipment(3)).await;
    assert_eq!(first.status(), 201);
    let mut conn = PgConnection::establish(&database.expect("url")).expect("connects");
    let bodies: Vec<Option<Vec<u8>>> = idempotency_keys::table
        .select(idempotency_keys::body)
        .load(&mut conn)
        .expect("rows");
    let stored: Vec<u8> = bodies.into_iter().flatten().flatten().collect();
    assert!(!stored.is_empty());
    let text = String::from_utf8_lossy(&stored);
    assert!(
        !text.contains("13812345678") && !text.contains("张三"),
        "{text}"
    );
    let replay = keyed(&gw, &admin, "order-7", &shipment(3)).await;
    assert_eq!(replay.headers()["idempotent-replayed"], "true");
    let replay: Value = replay.json().await.expect("json");
    assert_eq!(replay["recipient"]["phone"], "13812345678");
    gw.stop().await;
    shipments.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_key_from_another_caller_is_another_request() {
    let env = TestEnv::new();
    let shipments = kuaidi_shipments::build(env.settings("shipments"))
        .await
        .expect("builds")
        .spawn();
    let url = shipments.url();
    let gw = TestGateway::spawn_with(env, |s| s.services.shipments = url).await;
    let admin = gw.admin_token().await;
    let created = gw
        .post(
            &admin,
            "/api/v1/users",
            &json!({"username": "sun.qi", "password": "Parcel-2026-autumn", "role": "manager"}),
        )
        .await;
    assert_eq!(created.status(), 201);
    let manager: Value =
        crate::helpers::login(&gw.env.http, &gw.app.url(), "sun.qi", "Parcel-2026-autumn")
            .await
            .json()
            .await
            .expect("json");
    let manager = manager["access_token"].as_str().expect("token");
    let mine: Value = keyed(&gw, &admin, "shared-key", &shipment(3))
        .await
        .json()
        .await
        .expect("json");
    let theirs = keyed(&gw, manager, "shared-key", &shipment(9)).await;
    assert_eq!(
        theirs.status(),
        201,
        "not a 422: keys are scoped to the caller"
    );
    assert!(theirs.headers().get("idempotent-replayed").is_none());
    let theirs: Value = theirs.json().await.expect("json");
    assert_ne!(theirs["tracking_number"], mine["tracking_number"]);
    gw.stop().await;
    shipments.stop().await;
}

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
            .json(&shipment(3));
        tokio::spawn(request.send())
    };
    accepted
        .recv()
        .await
        .expect("the first request reached the service");
    let second = keyed(&gw, &admin, "slow-1", &shipment(3)).await;
    assert_eq!(second.status(), 409);
    assert_eq!(
        second.json::<Value>().await.expect("json")["code"],
        "idempotency_key_in_use"
    );
    first.abort();
    gw.stop().await;
}
