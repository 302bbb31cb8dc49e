//! Access control end to end, through the gateway: every role against every capability of
//! SPEC §3 that has an endpoint so far, tenant isolation between merchants, and the audit of
//! every answer that shows a customer's PII unmasked.

use chrono::Utc;
use kuaidi_shared::auth::Role;
use kuaidi_shared::capabilities::Capability;
use kuaidi_shared::testing::{body_json, eventually, poll_json};
use kuaidi_tests::Suite;
use reqwest::Method;
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

/// The phone of the matrix's end customer: the recipient of its shipment and the phone of its
/// customer file.
const PHONE: &str = "13812345678";

fn shipment(merchant: Uuid) -> Value {
    json!({
        "recipient": {"name": "张三", "phone": PHONE, "address": "建国路 88 号", "city": "北京"},
        "origin": {"city": "上海"}, "destination": {"city": "北京"},
        "service_level": "express", "weight_kg": 1.0, "freight": {"amount": "10.00", "currency": "CNY"},
        "merchant_id": merchant
    })
}

/// A customer token for `phone`, minted by the app through the gateway.
async fn customer_token(suite: &Suite, phone: &str) -> String {
    let app = suite.env.token(Role::App, None);
    let minted = suite
        .post(
            &app,
            "/api/v1/auth/customer-token",
            &json!({"phone": phone}),
        )
        .await;
    assert_eq!(minted.status(), 200);
    let minted: Value = minted.json().await.expect("json");
    minted["access_token"].as_str().expect("token").to_owned()
}

/// One cell's request and the status it answers when the role may make it.
struct Check {
    cap: Capability,
    method: Method,
    path: String,
    body: Option<Value>,
    success: u16,
}

impl Check {
    fn new(cap: Capability, method: Method, path: impl Into<String>, success: u16) -> Self {
        Self {
            cap,
            method,
            path: path.into(),
            body: None,
            success,
        }
    }

    fn with(mut self, body: Value) -> Self {
        self.body = Some(body);
        self
    }
}

/// Every request is valid and aimed at data each allowed role may reach (the merchant's own
/// shipment, customer file and case; the end customer's own parcel, file and case), so a
/// cell passes only with the exact success status when allowed and `403` when refused. Every
/// capability is checked but "customer PII unmasked", which is masking within a read (the
/// services' PII tests, and the audit test below).
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn every_role_is_refused_exactly_what_the_role_matrix_denies_it() {
    let suite = Suite::start().await;
    let admin = suite.admin_token().await;
    let merchant = Uuid::now_v7();
    let customer = suite
        .post(
            &admin,
            "/api/v1/customers",
            &json!({"kind": "individual", "name": "赵六", "phones": [PHONE], "merchant_id": merchant}),
        )
        .await;
    assert_eq!(customer.status(), 201);
    let customer: Value = customer.json().await.expect("customer");
    let created = suite
        .post(&admin, "/api/v1/shipments", &shipment(merchant))
        .await;
    assert_eq!(created.status(), 201);
    let created: Value = created.json().await.expect("shipment");
    let tn = created["tracking_number"].as_str().expect("tn").to_owned();
    let end_customer = customer_token(&suite, PHONE).await;
    let inquiry = json!({"type": "inquiry", "channel": "app", "description": "where is it", "tracking_number": tn});
    // The end customer's own case (on the merchant's shipment), once complaints knows the parcel.
    let case: Value = eventually(Duration::from_secs(10), "the customer's case", || async {
        let r = suite
            .post(&end_customer, "/api/v1/complaints", &inquiry)
            .await;
        (r.status() == 201).then_some(r.json::<Value>().await.ok()?)
    })
    .await;

    let checks = [
        Check::new(
            Capability::CustomersWrite,
            Method::PATCH,
            format!("/api/v1/customers/{}", customer["id"].as_str().expect("id")),
            200,
        )
        .with(json!({"preferences": {"packaging": "box"}})),
        Check::new(
            Capability::CustomersRead,
            Method::GET,
            format!("/api/v1/customers/{}", customer["id"].as_str().expect("id")),
            200,
        ),
        Check::new(
            Capability::ShipmentsCreate,
            Method::POST,
            "/api/v1/shipments",
            201,
        )
        .with(shipment(merchant)),
        Check::new(
            Capability::ShipmentsRead,
            Method::GET,
            format!("/api/v1/shipments/{tn}"),
            200,
        ),
        Check::new(
            Capability::ComplaintsCreate,
            Method::POST,
            "/api/v1/complaints",
            201,
        )
        .with(inquiry.clone()),
        Check::new(
            Capability::ComplaintsRead,
            Method::GET,
            format!("/api/v1/complaints/{}", case["id"].as_str().expect("id")),
            200,
        ),
        Check::new(
            Capability::TrackingEventsIngest,
            Method::POST,
            "/api/v1/tracking-events:batch",
            200,
        )
        .with(
            json!({"events": [{"event_id": "matrix-1", "status": "picked_up",
            "occurred_at": Utc::now().to_rfc3339(), "tracking_number": tn}]}),
        ),
        Check::new(
            Capability::ComplaintsApprove,
            Method::POST,
            format!(
                "/api/v1/complaints/{}/actions/escalate",
                case["id"].as_str().expect("id")
            ),
            200,
        )
        .with(json!({"reason": "the role matrix"})),
        Check::new(
            Capability::SlaPoliciesWrite,
            Method::PUT,
            "/api/v1/sla-policies",
            200,
        )
        .with(
            json!({"policies": [{"category": "packaging", "priority": "low",
            "first_response_minutes": 240, "resolution_minutes": 4320}]}),
        ),
        Check::new(
            Capability::Analytics,
            Method::GET,
            "/api/v1/analytics/kpis",
            200,
        ),
        Check::new(Capability::Webhooks, Method::GET, "/api/v1/webhooks", 200),
        Check::new(
            Capability::Administration,
            Method::GET,
            "/api/v1/users",
            200,
        ),
    ];
    let mut mismatches = Vec::new();
    for role in ROLES {
        let token = match role {
            Role::Customer => end_customer.clone(),
            Role::Merchant => suite.env.token(role, Some(merchant)),
            _ => suite.env.token(role, None),
        };
        for check in &checks {
            let mut req = suite
                .env
                .http
                .request(check.method.clone(), suite.url(&check.path))
                .bearer_auth(&token);
            if let Some(body) = &check.body {
                req = req.json(body);
            }
            let resp = req.send().await.expect("sent");
            let status = resp.status().as_u16();
            let expected = if check.cap.allows(role) {
                check.success
            } else {
                403
            };
            if status != expected {
                let text = resp.text().await.unwrap_or_default();
                mismatches.push(format!(
                    "{role:?} {} {}: {status}, expected {expected}: {text}",
                    check.method, check.path
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

/// Two merchants and their tokens.
fn two_merchants(suite: &Suite) -> (Uuid, Uuid, String, String) {
    let (a, b) = (Uuid::now_v7(), Uuid::now_v7());
    let token = |m| suite.env.token(Role::Merchant, Some(m));
    (a, b, token(a), token(b))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_merchant_never_sees_another_merchants_shipments_customers_cases_or_figures() {
    let suite = Suite::start_at_noon().await;
    let admin = suite.admin_token().await;
    let (a, b, token_a, token_b) = two_merchants(&suite);

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
    let account = body_json(
        suite
            .post(
                &admin,
                "/api/v1/customers",
                &json!({"kind": "business", "name": "Shop A", "merchant_id": a}),
            )
            .await,
    )
    .await;
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

    let today = suite.today();
    let path = format!("/api/v1/analytics/kpis?from={today}&to={today}&merchant_id={a}");
    poll_json(
        Duration::from_secs(5),
        "A's KPIs to count its shipment",
        || suite.get(&token_a, &path),
        |k| (k["data"][0]["shipments"] == 1).then_some(()),
    )
    .await;
    assert_eq!(
        suite.get(&token_b, &path).await.status(),
        404,
        "B asking for A's figures finds none (SPEC §10)"
    );
    suite.stop().await;
}

/// The `pii.read` audit rows of the request `resp` answered, by its request id.
async fn pii_reads_of(suite: &Suite, admin: &str, resp: &reqwest::Response) -> Vec<String> {
    let request_id = resp.headers()["x-request-id"]
        .to_str()
        .expect("request id")
        .to_owned();
    let page: Value = suite
        .get(admin, "/api/v1/audit-log?action=pii.read&limit=200")
        .await
        .json()
        .await
        .expect("audit page");
    page["data"]
        .as_array()
        .expect("data")
        .iter()
        .filter(|e| e["request_id"] == json!(request_id))
        .map(|e| e["target"].as_str().unwrap_or_default().to_owned())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn every_answer_showing_a_customers_pii_unmasked_is_audited_and_masked_ones_are_not() {
    let suite = Suite::start().await;
    let admin = suite.admin_token().await;
    let body = json!({"kind": "individual", "name": "审计", "phones": ["13955550001"]});

    let created = suite.post(&admin, "/api/v1/customers", &body).await;
    assert_eq!(created.status(), 201);
    assert!(
        created.headers().get("kuaidi-audit-pii").is_none(),
        "the flag stays inside"
    );
    let rows = pii_reads_of(&suite, &admin, &created).await;
    let customer: Value = created.json().await.expect("json");
    let id = customer["id"].as_str().expect("id").to_owned();
    assert_eq!(customer["phones"], json!(["13955550001"]), "shown unmasked");
    assert_eq!(
        rows,
        vec![format!("customer:{id}")],
        "the create is audited"
    );

    let patched = suite
        .env
        .http
        .patch(suite.url(&format!("/api/v1/customers/{id}")))
        .bearer_auth(&admin)
        .json(&json!({"tags": ["audited"]}))
        .send()
        .await
        .expect("sent");
    assert_eq!(patched.status(), 200);
    assert_eq!(
        pii_reads_of(&suite, &admin, &patched).await,
        vec![format!("customer:{id}")],
        "the edit is audited"
    );

    let listed = suite.get(&admin, "/api/v1/customers?q=13955550001").await;
    assert_eq!(listed.status(), 200);
    assert_eq!(
        pii_reads_of(&suite, &admin, &listed).await,
        vec![format!("customer:{id}")],
        "a search names the customers it showed"
    );

    let twin = suite
        .post(&admin, "/api/v1/customers?allow_duplicate=true", &body)
        .await;
    let twin: Value = twin.json().await.expect("json");
    let merged = suite
        .post(
            &admin,
            &format!("/api/v1/customers/{id}/merge"),
            &json!({"duplicate_id": twin["id"]}),
        )
        .await;
    assert_eq!(merged.status(), 200);
    assert_eq!(
        pii_reads_of(&suite, &admin, &merged).await,
        vec![format!("customer:{id}")],
        "a merge shows the merged record"
    );

    let replayed = |key: &'static str| {
        let (http, url, admin, body) = (
            suite.env.http.clone(),
            suite.url("/api/v1/customers?allow_duplicate=true"),
            admin.clone(),
            body.clone(),
        );
        async move {
            http.post(url)
                .bearer_auth(admin)
                .header("idempotency-key", key)
                .json(&body)
                .send()
                .await
                .expect("sent")
        }
    };
    let first = replayed("pii-audit-1").await;
    assert_eq!(first.status(), 201);
    assert_eq!(pii_reads_of(&suite, &admin, &first).await.len(), 1);
    let again = replayed("pii-audit-1").await;
    assert_eq!(again.headers()["idempotent-replayed"], "true");
    assert!(again.headers().get("kuaidi-audit-pii").is_none());
    assert_eq!(
        pii_reads_of(&suite, &admin, &again).await.len(),
        1,
        "a replay shows the PII again and is audited again"
    );

    let analyst = suite.env.token(Role::Analyst, None);
    let masked = suite
        .get(&analyst, &format!("/api/v1/customers/{id}"))
        .await;
    assert_eq!(masked.status(), 200);
    assert!(
        pii_reads_of(&suite, &admin, &masked).await.is_empty(),
        "a masked read is no PII read"
    );
    let masked_list = suite.get(&analyst, "/api/v1/customers?q=13955550001").await;
    assert_eq!(masked_list.status(), 200);
    assert!(pii_reads_of(&suite, &admin, &masked_list).await.is_empty());
    suite.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_merchant_cannot_name_another_merchants_customer_in_a_shipment_or_a_case() {
    let suite = Suite::start().await;
    let admin = suite.admin_token().await;
    let (a, b, token_a, token_b) = two_merchants(&suite);
    let account = suite
        .post(
            &admin,
            "/api/v1/customers",
            &json!({"kind": "business", "name": "Shop B", "merchant_id": b}),
        )
        .await;
    assert_eq!(account.status(), 201);
    let theirs = account.json::<Value>().await.expect("json")["id"].clone();
    let naming = |merchant: Uuid| {
        let mut body = shipment(merchant);
        body["shipper_customer_id"] = theirs.clone();
        body
    };
    // B's own customer is accepted once the shipments service knows it: then A is refused.
    let b_parcel: Value = eventually(
        Duration::from_secs(10),
        "B ships for its customer",
        || async {
            let r = suite.post(&token_b, "/api/v1/shipments", &naming(b)).await;
            (r.status() == 201).then_some(r.json::<Value>().await.ok()?)
        },
    )
    .await;
    let refused = suite.post(&token_a, "/api/v1/shipments", &naming(a)).await;
    assert_eq!(refused.status(), 404, "A names B's customer as shipper");
    assert!(refused.headers()["content-type"]
        .to_str()
        .expect("ascii")
        .starts_with("application/problem+json"));

    let own = suite.post(&admin, "/api/v1/shipments", &shipment(a)).await;
    let own: Value = own.json().await.expect("json");
    let case_of = |merchant_tn: &Value| {
        json!({"type": "complaint", "channel": "api", "description": "late",
               "tracking_number": merchant_tn, "customer_id": theirs})
    };
    eventually(
        Duration::from_secs(10),
        "B complains for its customer",
        || async {
            let r = suite
                .post(
                    &token_b,
                    "/api/v1/complaints",
                    &case_of(&b_parcel["tracking_number"]),
                )
                .await;
            (r.status() == 201).then_some(())
        },
    )
    .await;
    let refused = eventually(
        Duration::from_secs(10),
        "complaints knows A's parcel",
        || async {
            let r = suite
                .post(
                    &token_a,
                    "/api/v1/complaints",
                    &case_of(&own["tracking_number"]),
                )
                .await;
            let body: Value = r.json().await.ok()?;
            // 404 for the shipment until its event arrives; then 404 for the customer.
            (body["detail"].as_str()? != "shipment not found").then_some(body)
        },
    )
    .await;
    assert_eq!(
        refused["status"], 404,
        "A names B's customer in a case: {refused}"
    );
    assert_eq!(refused["detail"], "customer not found");
    suite.stop().await;
}
