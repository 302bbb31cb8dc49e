//! Access control end to end, through the gateway: every role against every capability of
//! SPEC §3 that has an endpoint so far, and tenant isolation between merchants.

use chrono::Utc;
use kuaidi_shared::auth::Role;
use kuaidi_shared::capabilities::Capability;
use kuaidi_shared::testing::eventually;
use kuaidi_tests::Suite;
use serde_json::{json, Value};
use std::time::Duration;
use uuid::Uuid;

const ROLES: [Role; 9] = [
    Role::Admin,
    Role::Manager,
    Role::Supervisor,
    Role::Agent,
    Role::Analyst,
    Role::Operator,
    Role::Merchant,
    Role::App,
    Role::Customer,
];

/// Allowed by the matrix but refused here (each says why).
const NOT_YET: [(Capability, Role); 1] = [
    // A customer's "write" is their own consents and preferences, never opening files.
    (Capability::CustomersWrite, Role::Customer),
];

fn shipment(merchant: Uuid) -> Value {
    json!({
        "recipient": {"name": "张三", "phone": "13812345678", "address": "建国路 88 号", "city": "北京"},
        "origin": {"city": "上海"}, "destination": {"city": "北京"},
        "service_level": "express", "weight_kg": 1.0, "freight": {"amount": "10.00", "currency": "CNY"},
        "merchant_id": merchant
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn every_role_is_refused_exactly_what_the_role_matrix_denies_it() {
    let suite = Suite::start().await;
    let admin = suite.admin_token().await;
    let merchant = Uuid::now_v7();
    let customer: Value = suite
        .post(
            &admin,
            "/api/v1/customers",
            &json!({"kind": "individual", "name": "赵六", "phones": ["13911112222"]}),
        )
        .await
        .json()
        .await
        .expect("customer");
    let created: Value = suite
        .post(&admin, "/api/v1/shipments", &shipment(merchant))
        .await
        .json()
        .await
        .expect("shipment");
    let tn = created["tracking_number"].as_str().expect("tn").to_owned();
    let case: Value = suite
        .post(
            &admin,
            "/api/v1/complaints",
            &json!({"type": "complaint", "channel": "phone", "description": "late"}),
        )
        .await
        .json()
        .await
        .expect("case");
    let customer_path = format!("/api/v1/customers/{}", customer["id"].as_str().expect("id"));
    let shipment_path = format!("/api/v1/shipments/{tn}");
    let case_path = format!("/api/v1/complaints/{}", case["id"].as_str().expect("id"));

    let checks: Vec<(Capability, &str, String, Option<Value>)> = vec![
        (
            Capability::CustomersWrite,
            "POST",
            "/api/v1/customers?allow_duplicate=true".into(),
            Some(json!({"kind": "business", "name": "Matrix Co"})),
        ),
        (Capability::CustomersRead, "GET", customer_path, None),
        (
            Capability::ShipmentsCreate,
            "POST",
            "/api/v1/shipments".into(),
            Some(shipment(merchant)),
        ),
        (Capability::ShipmentsRead, "GET", shipment_path, None),
        (
            Capability::ComplaintsCreate,
            "POST",
            "/api/v1/complaints".into(),
            Some(
                json!({"type": "inquiry", "channel": "app", "description": "where is it", "tracking_number": tn}),
            ),
        ),
        (Capability::ComplaintsRead, "GET", case_path, None),
        (
            Capability::Analytics,
            "GET",
            "/api/v1/analytics/kpis".into(),
            None,
        ),
        (
            Capability::Administration,
            "GET",
            "/api/v1/users".into(),
            None,
        ),
    ];
    let mut mismatches = Vec::new();
    for role in ROLES {
        let merchant_id = (role == Role::Merchant).then_some(merchant);
        let token = suite.env.token(role, merchant_id);
        for (cap, method, path, body) in &checks {
            let req = match *method {
                "POST" => suite
                    .env
                    .http
                    .post(suite.url(path))
                    .json(body.as_ref().expect("body")),
                _ => suite.env.http.get(suite.url(path)),
            };
            let status = req
                .bearer_auth(&token)
                .send()
                .await
                .expect("sent")
                .status()
                .as_u16();
            let allowed = cap.allows(role) && !NOT_YET.contains(&(*cap, role));
            let refused = status == 403;
            if allowed == refused || status >= 500 || status == 401 {
                mismatches.push(format!(
                    "{role:?} {method} {path}: {status} (allowed: {allowed})"
                ));
            }
        }
    }
    assert!(
        mismatches.is_empty(),
        "role matrix violated:\n{}",
        mismatches.join("\n")
    );
    suite.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_merchant_never_sees_another_merchants_shipments_customers_cases_or_figures() {
    let suite = Suite::start().await;
    let admin = suite.admin_token().await;
    let (a, b) = (Uuid::now_v7(), Uuid::now_v7());
    let (token_a, token_b) = (
        suite.env.token(Role::Merchant, Some(a)),
        suite.env.token(Role::Merchant, Some(b)),
    );

    let mut body = shipment(b);
    body.as_object_mut().expect("object").remove("merchant_id");
    let created = suite.post(&token_a, "/api/v1/shipments", &body).await;
    assert_eq!(created.status(), 201);
    let created: Value = created.json().await.expect("json");
    assert_eq!(
        created["merchant_id"],
        json!(a),
        "the tenant comes from the token, never the body"
    );
    let tn = created["tracking_number"].as_str().expect("tn").to_owned();
    let account: Value = suite
        .post(
            &admin,
            "/api/v1/customers",
            &json!({"kind": "business", "name": "Shop A", "merchant_id": a}),
        )
        .await
        .json()
        .await
        .expect("json");
    let case: Value = eventually(Duration::from_secs(5), "A's case on A's shipment", || async {
        let r = suite
            .post(
                &token_a,
                "/api/v1/complaints",
                &json!({"type": "complaint", "channel": "api", "description": "damaged", "tracking_number": tn, "category": "damaged"}),
            )
            .await;
        if r.status() == 201 {
            r.json::<Value>().await.ok()
        } else {
            None
        }
    })
    .await;

    for path in [
        format!("/api/v1/shipments/{tn}"),
        format!("/api/v1/customers/{}", account["id"].as_str().expect("id")),
        format!("/api/v1/complaints/{}", case["id"].as_str().expect("id")),
        format!(
            "/api/v1/complaints/{}/history",
            case["id"].as_str().expect("id")
        ),
    ] {
        assert_eq!(
            suite.get(&token_a, &path).await.status(),
            200,
            "A reads its own {path}"
        );
        assert_eq!(
            suite.get(&token_b, &path).await.status(),
            404,
            "B must get 404 for A's {path}"
        );
    }
    let b_complains = suite
        .post(&token_b, "/api/v1/complaints", &json!({"type": "complaint", "channel": "api", "description": "x", "tracking_number": tn}))
        .await;
    assert_eq!(
        b_complains.status(),
        404,
        "B cannot open a case on A's shipment"
    );

    let today = Utc::now().date_naive();
    let path = format!("/api/v1/analytics/kpis?from={today}&to={today}&merchant_id={a}");
    eventually(
        Duration::from_secs(5),
        "A's KPIs to count its shipment",
        || async {
            let k: Value = suite.get(&token_a, &path).await.json().await.ok()?;
            (k["data"][0]["shipments"] == 1).then_some(())
        },
    )
    .await;
    let seen_by_b: Value = suite.get(&token_b, &path).await.json().await.expect("json");
    assert_eq!(
        seen_by_b["data"][0]["shipments"], 0,
        "B asking for A's figures sees only its own"
    );
    suite.stop().await;
}
