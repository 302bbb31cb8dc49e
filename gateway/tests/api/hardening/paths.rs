//! Dot segments are refused before routing; `/metrics` lives on the management port only.

use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::helpers::TestGateway;

/// Sends `GET raw_path` byte for byte (an HTTP client would resolve the dots itself) and
/// returns the status and the whole answer.
async fn raw_get(port: u16, raw_path: &str) -> (u16, String) {
    let mut stream = tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .expect("connects");
    let request =
        format!("GET {raw_path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await.expect("sent");
    let mut answer = String::new();
    stream.read_to_string(&mut answer).await.expect("read");
    let status = answer
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .expect("status line");
    (status, answer)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_public_tracking_path_climbing_out_with_dot_segments_is_refused_before_routing() {
    let gw = TestGateway::spawn().await;
    let (status, answer) = raw_get(gw.app.port, "/api/v1/tracking/../../../metrics").await;
    assert_eq!(status, 400, "{answer}");
    assert!(answer.contains("application/problem+json"), "{answer}");
    gw.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn percent_encoded_dot_segments_and_encoded_slashes_are_refused_too() {
    let gw = TestGateway::spawn().await;
    for path in [
        "/api/v1/tracking/%2e%2e/%2E%2E/%2e%2e/metrics",
        "/api/v1/tracking/.%2e/admin",
        "/api/v1/tracking/..%2f..%2fmetrics",
        "/api/v1/tracking/./KD1",
    ] {
        let (status, answer) = raw_get(gw.app.port, path).await;
        assert_eq!(status, 400, "{path}: {answer}");
    }
    gw.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_are_served_on_the_management_port_and_not_on_the_public_one() {
    let gw = TestGateway::spawn().await;
    assert_ne!(gw.app.metrics_port, gw.app.port);
    let public = gw.get("", "/metrics").await;
    assert_eq!(public.status(), 404);
    let metrics = gw
        .env
        .http
        .get(gw.app.metrics_url())
        .send()
        .await
        .expect("sent");
    assert_eq!(metrics.status(), 200);
    assert!(metrics.text().await.expect("text").contains("kuaidi_http"));
    let other = gw
        .env
        .http
        .get(format!(
            "http://127.0.0.1:{}/api/v1/users",
            gw.app.metrics_port
        ))
        .send()
        .await
        .expect("sent");
    assert_eq!(
        other.status(),
        404,
        "the management port serves only /metrics"
    );
    gw.stop().await;
}
