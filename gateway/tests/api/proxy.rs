//! Routing to the services: authentication at the edge, request ids, 502 and 504.

use actix_web::web;
use kuaidi_shared::auth::{Role, SigningKey};
use kuaidi_shared::testing::{send_json, stub_server, token, TestEnv};
use serde_json::Value;
use std::time::Duration;

use crate::helpers::{admin_token, settings, spawn, TestGateway};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn missing_or_forged_tokens_are_refused_at_the_edge() {
    let gw = TestGateway::spawn().await;
    let env = &gw.env;
    let none = env
        .http
        .get(gw.url("/api/v1/customers/abc"))
        .send()
        .await
        .expect("sent");
    assert_eq!(none.status(), 401, "refused before any upstream is tried");
    assert_eq!(none.headers()["content-type"], "application/problem+json");
    let forged = token(&SigningKey::generate(), Role::Admin, None);
    let resp = gw.get(&forged, "/api/v1/customers/abc").await;
    assert_eq!(resp.status(), 401);
    let unknown = env
        .http
        .get(gw.url("/api/v2/nothing"))
        .send()
        .await
        .expect("sent");
    assert_eq!(unknown.status(), 404);
    assert_eq!(
        unknown.headers()["content-type"],
        "application/problem+json"
    );
    gw.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stopped_service_is_a_502_and_a_slow_one_a_504() {
    let env = TestEnv::new();
    let (slow_port, slow_handle) = stub_server(web::Data::new(()), || async {
        tokio::time::sleep(Duration::from_secs(5)).await;
        "late"
    });
    let mut s = settings(&env);
    s.services.analytics = format!("http://127.0.0.1:{slow_port}");
    s.proxy.timeout_ms = 300;
    let gw = spawn(s).await;
    let admin = admin_token(&env.http, &gw.url()).await;

    let down = env
        .http
        .get(format!("{}/api/v1/customers/x", gw.url()))
        .bearer_auth(&admin)
        .send()
        .await
        .expect("sent");
    assert_eq!(down.status(), 502);
    assert_eq!(down.headers()["content-type"], "application/problem+json");
    let problem: Value = down.json().await.expect("json");
    assert_eq!(problem["code"], "bad_gateway");
    assert!(problem["request_id"].is_string());

    let late = env
        .http
        .get(format!("{}/api/v1/analytics/kpis", gw.url()))
        .bearer_auth(&admin)
        .send()
        .await
        .expect("sent");
    assert_eq!(late.status(), 504);
    assert_eq!(late.headers()["content-type"], "application/problem+json");
    slow_handle.stop(false).await;
    gw.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_gateways_own_api_is_documented_services_that_are_down_are_marked_and_swagger_ui_is_served(
) {
    let gw = TestGateway::spawn().await;
    let env = &gw.env;
    let doc = send_json(env.http.get(gw.url("/openapi.json"))).await;
    assert!(doc["openapi"]
        .as_str()
        .is_some_and(|v| v.starts_with("3.1")));
    for path in [
        "/api/v1/auth/login",
        "/api/v1/auth/customer-token",
        "/api/v1/users",
    ] {
        assert!(
            doc["paths"].get(path).is_some(),
            "{path} is missing from /openapi.json"
        );
    }
    // No service listens in this test: each is marked, none is silently dropped.
    for service in ["customers", "shipments", "complaints", "analytics"] {
        assert!(
            doc["x-kuaidi-unavailable"][service].is_string(),
            "{service} marked unavailable: {}",
            doc["x-kuaidi-unavailable"]
        );
    }
    assert!(doc["components"]["securitySchemes"]["bearer"].is_object());
    assert!(doc["components"]["securitySchemes"]["api_key"].is_object());
    let ui = env.http.get(gw.url("/docs/")).send().await.expect("sent");
    assert_eq!(ui.status(), 200);
    assert!(
        ui.text().await.expect("text").contains("swagger"),
        "Swagger UI page"
    );
    let health = env.http.get(gw.url("/readyz")).send().await.expect("sent");
    assert_eq!(health.status(), 200);
    let metrics = env
        .http
        .get(gw.app.metrics_url())
        .send()
        .await
        .expect("sent")
        .text()
        .await
        .expect("text");
    assert!(metrics.contains("kuaidi_http"), "prometheus metrics");
    gw.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_services_own_security_header_reaches_the_caller_and_a_default_one_comes_once() {
    let env = TestEnv::new();
    // The service framing its page (a value of its own) and sending the default nosniff.
    let (port, handle) = stub_server(web::Data::new(()), || async {
        actix_web::HttpResponse::Ok()
            .insert_header(("x-frame-options", "SAMEORIGIN"))
            .insert_header(("x-content-type-options", "nosniff"))
            .insert_header(("etag", "\"v1\""))
            .body("{}")
    });
    let mut s = settings(&env);
    s.services.shipments = format!("http://127.0.0.1:{port}");
    let gw = spawn(s).await;
    let resp = env
        .http
        .get(format!("{}/api/v1/tracking/KD000000001CN", gw.url()))
        .send()
        .await
        .expect("sent");
    assert_eq!(resp.status(), 200);
    let all = |name: &str| -> Vec<String> {
        resp.headers()
            .get_all(name)
            .iter()
            .map(|v| v.to_str().unwrap_or("").to_owned())
            .collect()
    };
    assert_eq!(
        all("x-frame-options"),
        ["SAMEORIGIN"],
        "the service's own value"
    );
    assert_eq!(
        all("x-content-type-options"),
        ["nosniff"],
        "once, not twice"
    );
    assert_eq!(
        all("referrer-policy"),
        ["no-referrer"],
        "the gateway's default"
    );
    assert_eq!(all("etag"), ["\"v1\""]);
    handle.stop(false).await;
    gw.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_service_that_starts_after_the_gateway_is_in_the_next_document_read() {
    use std::sync::atomic::{AtomicBool, Ordering};
    let env = TestEnv::new();
    let ready = web::Data::new(AtomicBool::new(false));
    let (port, handle) = stub_server(ready.clone(), |ready: web::Data<AtomicBool>| async move {
        if !ready.load(Ordering::SeqCst) {
            return actix_web::HttpResponse::ServiceUnavailable().finish();
        }
        actix_web::HttpResponse::Ok().json(serde_json::json!({
            "openapi": "3.1.0", "info": {"title": "customers", "version": "1"},
            "paths": {"/api/v1/customers/late": {"get": {"responses": {"200": {"description": "ok"}}}}}
        }))
    });
    let mut s = settings(&env);
    s.services.customers = format!("http://127.0.0.1:{port}");
    let gw = spawn(s).await;
    let doc = send_json(env.http.get(format!("{}/openapi.json", gw.url()))).await;
    assert!(doc["x-kuaidi-unavailable"]["customers"].is_string());

    ready.store(true, Ordering::SeqCst);
    // The first reader after the service came up gets it: the document asks the missing
    // services again itself (at most every 250 ms), not only at the next retry.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let doc = send_json(env.http.get(format!("{}/openapi.json", gw.url()))).await;
    assert!(
        doc["paths"].get("/api/v1/customers/late").is_some(),
        "{}",
        doc["x-kuaidi-unavailable"]
    );
    assert!(doc["x-kuaidi-unavailable"].get("customers").is_none());
    handle.stop(false).await;
    gw.stop().await;
}
