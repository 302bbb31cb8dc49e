//! End to end through the gateway over HTTP, with the services talking over RabbitMQ: the
//! walking skeleton of the platform issue.

use kuaidi_shared::auth::{Role, SigningKey};
use kuaidi_shared::testing::{eventually, expect_not_allowed, expect_problem, poll_json, token};
use kuaidi_tests::Suite;
use reqwest::Method;
use serde_json::{json, Value};
use std::time::Duration;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_shipment_for_a_customer_shows_in_their_stats_and_in_todays_kpis() {
    let suite = Suite::start_at_noon().await;
    let admin = suite.admin_token().await;

    let customer = suite
        .post(
            &admin,
            "/api/v1/customers",
            &json!({"kind": "business", "name": "Acme Trading", "phones": ["13900001111"]}),
        )
        .await;
    assert_eq!(customer.status(), 201);
    let customer: Value = customer.json().await.expect("json");
    let customer_id = customer["id"].as_str().expect("id").to_owned();

    let shipment = suite
        .post(
            &admin,
            "/api/v1/shipments",
            &json!({
                "recipient": {"name": "张三", "phone": "13812345678", "address": "建国路 88 号", "city": "北京"},
                "origin": {"city": "上海"}, "destination": {"city": "北京"},
                "service_level": "express", "weight_kg": 1.5,
                "freight": {"amount": "20.00", "currency": "CNY"},
                "shipper_customer_id": customer_id,
                "merchant_id": "0193a0c4-8a6e-7c1a-9a51-5f0c2b1d7e01"
            }),
        )
        .await;
    assert_eq!(shipment.status(), 201);
    let shipment: Value = shipment.json().await.expect("json");
    let tn = shipment["tracking_number"].as_str().expect("tn").to_owned();

    let complaint = suite
        .post(
            &admin,
            "/api/v1/complaints",
            &json!({"type": "complaint", "channel": "phone", "description": "parcel late", "tracking_number": tn, "category": "delay"}),
        )
        .await;
    assert_eq!(complaint.status(), 201);

    let url = format!("/api/v1/customers/{customer_id}");
    poll_json(
        Duration::from_secs(5),
        "customer stats to count the shipment",
        || suite.get(&admin, &url),
        |c| (c["stats"]["shipments_12m"] == 1).then_some(()),
    )
    .await;
    let today = suite.today().to_string();
    let kpis = eventually(
        Duration::from_secs(5),
        "today's KPIs to count the shipment and complaint",
        || async {
            let k: Value = suite
                .get(
                    &admin,
                    &format!("/api/v1/analytics/kpis?from={today}&to={today}&granularity=day"),
                )
                .await
                .json()
                .await
                .ok()?;
            (k["data"][0]["shipments"] == 1 && k["data"][0]["complaints"] == 1).then_some(k)
        },
    )
    .await;
    assert_eq!(
        kpis["data"].as_array().map(Vec::len),
        Some(1),
        "one row for one day"
    );
    suite.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn tokens_are_checked_at_the_gateway_and_again_by_each_service() {
    let suite = Suite::start().await;
    let no_token = suite
        .env
        .http
        .get(suite.url("/api/v1/analytics/kpis"))
        .send()
        .await
        .expect("sent");
    assert_eq!(no_token.status(), 401);
    assert_eq!(
        no_token.headers()["content-type"],
        "application/problem+json"
    );

    let forged = token(&SigningKey::generate(), Role::Admin, None);
    let id = "0193a0c4-8a6e-7c1a-9a51-5f0c2b1d7e01";
    let direct = [
        (&suite.customers, format!("/api/v1/customers/{id}")),
        (
            &suite.shipments,
            "/api/v1/shipments/KD000000000CN".to_owned(),
        ),
        (&suite.complaints, format!("/api/v1/complaints/{id}")),
        (&suite.analytics, "/api/v1/analytics/kpis".to_owned()),
    ];
    for (app, path) in direct {
        let url = format!("{}{path}", app.as_ref().expect("running").url());
        let resp = suite
            .env
            .http
            .get(&url)
            .bearer_auth(&forged)
            .send()
            .await
            .expect("sent");
        assert_eq!(resp.status(), 401, "{url} accepted a forged token");
        assert_eq!(resp.headers()["content-type"], "application/problem+json");
    }
    suite.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_stopped_service_answers_502_problem_json_through_the_gateway() {
    let mut suite = Suite::start().await;
    let admin = suite.admin_token().await;
    suite.complaints.take().expect("running").stop().await;

    let resp = suite
        .get(
            &admin,
            "/api/v1/complaints/0193a0c4-8a6e-7c1a-9a51-5f0c2b1d7e01",
        )
        .await;

    assert_eq!(resp.status(), 502);
    assert_eq!(resp.headers()["content-type"], "application/problem+json");
    let ok = suite.get(&admin, "/api/v1/analytics/kpis").await;
    assert_eq!(ok.status(), 200, "the other services are unaffected");
    suite.stop().await;
}

/// The headers only a browser reads (security headers, CORS) are the edge's: every answer
/// through the gateway carries each once, by the shortcut or the app's way, and a service
/// behind it sends none (the gateway would only parse and drop them on every request).
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn browser_facing_headers_come_once_from_the_gateway_and_never_from_a_service() {
    let suite = Suite::start().await;
    let path = "/api/v1/tracking/KD000000001CN";
    let shipments = suite.shipments.as_ref().expect("shipments").url();
    let get = |url: String, origin: Option<&'static str>| {
        let mut req = suite.env.http.get(url);
        if let Some(origin) = origin {
            req = req.header("origin", origin);
        }
        async move { req.send().await.expect("sent") }
    };
    let edge = [
        "x-content-type-options",
        "x-frame-options",
        "referrer-policy",
        "strict-transport-security",
        "cross-origin-opener-policy",
        "access-control-expose-headers",
        "vary",
    ];
    let through_gateway = [
        get(suite.url(path), None).await,
        get(suite.url(path), Some("https://shop.example")).await,
    ];
    for resp in &through_gateway {
        assert_eq!(resp.status(), 404, "an unknown number");
        for name in edge {
            assert_eq!(
                resp.headers().get_all(name).iter().count(),
                1,
                "{name} once through the gateway"
            );
        }
    }
    let direct = get(format!("{shipments}{path}"), Some("https://shop.example")).await;
    assert_eq!(direct.status(), 404, "served, whatever the Origin");
    for name in edge {
        assert!(
            !direct.headers().contains_key(name),
            "{name} from the service itself"
        );
    }
    assert!(
        direct.headers().contains_key("x-request-id"),
        "the request id is still echoed"
    );
    suite.stop().await;
}

/// A method a service's path does not take (SPEC §2): `405` problem+json with `Allow` naming
/// those it takes, from the service and relayed as is by the gateway (the shortcut's bodiless
/// reads too), never a `404` as if the path did not exist.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_wrong_method_on_a_services_path_is_a_405_problem_with_allow_through_the_gateway() {
    let suite = Suite::start().await;
    let admin = suite.admin_token().await;
    let owner = format!("/api/v1/customers/{}/owner", uuid::Uuid::now_v7());
    for (method, path, allow) in [
        (Method::DELETE, "/api/v1/shipments", "GET, POST"),
        (Method::PUT, "/api/v1/customers", "GET, POST"),
        (Method::POST, &owner, "PUT"),
        (Method::PATCH, "/api/v1/sla-policies", "GET, PUT"),
        (Method::GET, "/api/v1/tracking:batch-get", "POST"),
        (Method::DELETE, "/api/v1/analytics/kpis", "GET"),
    ] {
        let resp = suite.env.http.request(method, suite.url(path));
        let resp = resp.bearer_auth(&admin).send().await.expect("sent");
        expect_not_allowed(resp, path, allow).await;
    }
    let unknown = suite.get(&admin, "/api/v1/shipments/KD1/nothing").await;
    let problem = expect_problem(unknown, 404).await;
    assert_eq!(problem["code"], "not_found", "an unknown path stays a 404");
    suite.stop().await;
}
