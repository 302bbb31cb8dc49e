//! Secrets never appear in logs (SPEC §10, issue 12): the five real processes, their whole
//! output captured, through a session of logins (good and bad passwords), token refreshes,
//! client-credentials exchanges, API-key calls and unmasked PII reads. Afterwards no password,
//! client secret, access or refresh token, API key or unmasked phone is in any log.

use kuaidi_tests::processes::{Options, System, ADMIN_PASSWORD};
use reqwest::Method;
use serde_json::{json, Value};

const MERCHANT: &str = "0193a0c4-8a6e-7c1a-9a51-5f0c2b1d7e01";
const USER_PASSWORD: &str = "Agent-Password-91f3c2";
const WRONG_PASSWORD: &str = "Wrong-Password-7d21aa";
const CUSTOMER_PHONE: &str = "13912345678";
const RECIPIENT_PHONE: &str = "13987654321";

/// What must never be logged, each with a label for the failure message.
#[derive(Default)]
struct Secrets(Vec<(String, String)>);

impl Secrets {
    fn add(&mut self, what: &str, value: &Value) {
        let value = value
            .as_str()
            .unwrap_or_else(|| panic!("{what} missing: {value}"));
        self.0.push((what.to_owned(), value.to_owned()));
    }

    /// Each secret whole, and for long ones also their last 16 characters (a JWT's signature,
    /// the random part of a key), so a truncated or re-encoded leak is found too.
    fn needles(&self) -> Vec<(String, String)> {
        let mut out = Vec::new();
        for (what, value) in &self.0 {
            out.push((what.clone(), value.clone()));
            if value.len() >= 24 {
                let tail = value[value.len() - 16..].to_owned();
                out.push((format!("the end of {what}"), tail));
            }
        }
        out
    }
}

async fn send(
    system: &System,
    method: Method,
    path: &str,
    auth: (&str, &str),
    body: Option<&Value>,
) -> (u16, Value) {
    let mut req = system
        .http
        .request(method, system.gateway_url(path))
        .header(auth.0, auth.1);
    if let Some(b) = body {
        req = req.json(b);
    }
    let r = req.send().await.expect("request sent");
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

async fn expect(
    system: &System,
    method: Method,
    path: &str,
    token: &str,
    body: Option<&Value>,
    status: u16,
) -> Value {
    let bearer = format!("Bearer {token}");
    let (got, body) = send(system, method, path, ("authorization", &bearer), body).await;
    assert_eq!(got, status, "{path}: {body}");
    body
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_password_secret_token_key_or_phone_is_ever_logged() {
    // Every crate at trace: any field of any span or event, ours or a dependency's (a query
    // string in a request span was found this way). `KUAIDI_SECRETS_RUST_LOG` overrides.
    let rust_log = std::env::var("KUAIDI_SECRETS_RUST_LOG").unwrap_or_else(|_| "trace".into());
    let mut system = System::start(Options {
        rust_log: Some(rust_log),
        ..Options::default()
    })
    .await;
    let mut secrets = Secrets::default();
    secrets.add("the admin password", &json!(ADMIN_PASSWORD));
    secrets.add("a user's password", &json!(USER_PASSWORD));
    secrets.add("a mistyped password", &json!(WRONG_PASSWORD));
    secrets.add("a customer's phone", &json!(CUSTOMER_PHONE));
    secrets.add("a recipient's phone", &json!(RECIPIENT_PHONE));

    // Staff: logins, a failed one, a refresh.
    let admin = system.login("admin", ADMIN_PASSWORD).await;
    secrets.add("the admin's access token", &admin["access_token"]);
    secrets.add("the admin's refresh token", &admin["refresh_token"]);
    let token = admin["access_token"].as_str().expect("token").to_owned();
    let user = json!({"username": "agent.li", "password": USER_PASSWORD, "role": "agent"});
    expect(
        &system,
        Method::POST,
        "/api/v1/users",
        &token,
        Some(&user),
        201,
    )
    .await;
    let (status, _) = send(
        &system,
        Method::POST,
        "/api/v1/auth/login",
        ("x-request-id", "bad-login"),
        Some(&json!({"username": "agent.li", "password": WRONG_PASSWORD})),
    )
    .await;
    assert_eq!(status, 401, "a wrong password is refused");
    let agent = system.login("agent.li", USER_PASSWORD).await;
    secrets.add("the agent's access token", &agent["access_token"]);
    secrets.add("the agent's refresh token", &agent["refresh_token"]);
    let refresh = json!({"refresh_token": agent["refresh_token"]});
    let (status, refreshed) = send(
        &system,
        Method::POST,
        "/api/v1/auth/refresh",
        ("x-request-id", "refresh"),
        Some(&refresh),
    )
    .await;
    assert_eq!(status, 200, "refreshed: {refreshed}");
    secrets.add("a refreshed access token", &refreshed["access_token"]);
    secrets.add("a rotated refresh token", &refreshed["refresh_token"]);

    // A system client: created, then its secret exchanged for a token (JSON and form).
    let client = json!({"name": "scanner", "role": "operator"});
    let client = expect(
        &system,
        Method::POST,
        "/api/v1/clients",
        &token,
        Some(&client),
        201,
    )
    .await;
    secrets.add("a client secret", &client["client_secret"]);
    let exchange = json!({"grant_type": "client_credentials", "client_id": client["client_id"], "client_secret": client["client_secret"]});
    let (status, issued) = send(
        &system,
        Method::POST,
        "/api/v1/auth/token",
        ("x-request-id", "exchange"),
        Some(&exchange),
    )
    .await;
    assert_eq!(status, 200, "client credentials exchanged: {issued}");
    secrets.add("a client's access token", &issued["access_token"]);
    let form = system
        .http
        .post(system.gateway_url("/api/v1/auth/token"))
        .form(&[
            ("grant_type", "client_credentials"),
            (
                "client_id",
                client["client_id"].as_str().unwrap_or_default(),
            ),
            (
                "client_secret",
                client["client_secret"].as_str().unwrap_or_default(),
            ),
        ])
        .send()
        .await
        .expect("form exchange");
    assert_eq!(form.status().as_u16(), 200, "form exchange");
    let form: Value = form.json().await.expect("form token");
    secrets.add("a client's access token (form)", &form["access_token"]);

    // A merchant's API key, used on calls.
    let key = json!({"name": "shop", "merchant_id": MERCHANT});
    let key = expect(
        &system,
        Method::POST,
        "/api/v1/api-keys",
        &token,
        Some(&key),
        201,
    )
    .await;
    secrets.add("an API key", &key["key"]);
    let api_key = key["key"].as_str().expect("key").to_owned();
    for path in ["/api/v1/shipments", "/api/v1/analytics/kpis"] {
        let (status, body) = send(&system, Method::GET, path, ("x-api-key", &api_key), None).await;
        assert_eq!(status, 200, "{path} with an API key: {body}");
    }

    // PII written and read unmasked.
    let customer = json!({"kind": "individual", "name": "李四", "phones": [CUSTOMER_PHONE], "merchant_id": MERCHANT});
    let customer = expect(
        &system,
        Method::POST,
        "/api/v1/customers",
        &token,
        Some(&customer),
        201,
    )
    .await;
    let path = format!("/api/v1/customers/{}", customer["id"].as_str().expect("id"));
    let read = expect(&system, Method::GET, &path, &token, None, 200).await;
    assert!(
        read.to_string().contains(CUSTOMER_PHONE),
        "the admin reads the phone unmasked: {read}"
    );
    let shipment = json!({
        "recipient": {"name": "张三", "phone": RECIPIENT_PHONE, "address": "建国路 88 号", "city": "北京"},
        "origin": {"city": "上海"}, "destination": {"city": "北京"},
        "service_level": "express", "weight_kg": 1.5,
        "freight": {"amount": "20.00", "currency": "CNY"}, "merchant_id": MERCHANT
    });
    let shipment = expect(
        &system,
        Method::POST,
        "/api/v1/shipments",
        &token,
        Some(&shipment),
        201,
    )
    .await;
    let path = format!(
        "/api/v1/shipments/{}",
        shipment["tracking_number"].as_str().expect("tn")
    );
    let read = expect(&system, Method::GET, &path, &token, None, 200).await;
    assert!(
        read.to_string().contains(RECIPIENT_PHONE),
        "the admin reads the phone unmasked: {read}"
    );
    let search = format!("/api/v1/customers?phone={CUSTOMER_PHONE}");
    let (status, _) = send(
        &system,
        Method::GET,
        &search,
        ("authorization", &format!("Bearer {token}")),
        None,
    )
    .await;
    assert!(status < 500, "searching by phone answered {status}");

    system.stop().await;
    let logs = system.all_logs();
    assert!(
        logs.contains("kuaidi_gateway"),
        "the gateway's log was captured"
    );
    let leaks: Vec<String> = secrets
        .needles()
        .into_iter()
        .filter(|(_, needle)| logs.contains(needle.as_str()))
        .map(|(what, needle)| {
            let line = logs
                .lines()
                .find(|l| l.contains(needle.as_str()))
                .unwrap_or_default();
            format!("{what} in: {}", &line[..line.len().min(400)])
        })
        .collect();
    assert!(
        leaks.is_empty(),
        "secrets in the logs ({}):\n{}",
        system.logs.display(),
        leaks.join("\n")
    );
}
