//! Idempotency records: answers kept sealed, `409` while the first request runs, keys scoped to
//! the caller.

use kuaidi_shared::testing::TestEnv;
use serde_json::Value;
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
