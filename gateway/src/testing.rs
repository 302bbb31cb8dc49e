//! Test support (feature `testing`): a gateway for one test on port 0 with a fresh database and
//! the test's signing key, and request helpers. The gateway's own tests and the end-to-end
//! tests that put it in front of real services use it.

use crate::configuration::GatewaySettings;
use kuaidi_shared::app::RunningApp;
use kuaidi_shared::testing::{fresh_database, TestEnv};
use serde_json::{json, Value};

pub const ADMIN_PASSWORD: &str = "correct-horse-battery";

/// Gateway settings for a test: fresh database, the test's signing key, unreachable services
/// unless the test names them.
pub fn settings(env: &TestEnv) -> GatewaySettings {
    settings_on(env, fresh_database("gateway"))
}

/// [`settings`] on the database at `database_url` (already migrated, or empty).
pub fn settings_on(env: &TestEnv, database_url: String) -> GatewaySettings {
    let mut s: GatewaySettings = crate::configuration::defaults().expect("defaults load");
    s.http.port = 0;
    s.http.workers = Some(2);
    s.database_url = database_url.into();
    s.database_pool_size = 4;
    s.bootstrap_admin_password = Some(ADMIN_PASSWORD.to_owned().into());
    s.jwt.signing_key = Some(env.key_seed().into());
    s.jwt.signing_kid = Some(env.key.kid.clone());
    // The test's own broker namespace (revocations are published there).
    s.amqp = env.amqp.clone();
    for url in [
        &mut s.services.customers,
        &mut s.services.shipments,
        &mut s.services.complaints,
        &mut s.services.analytics,
    ] {
        *url = "http://127.0.0.1:9".into(); // discard port: nothing listens
    }
    s.proxy.timeout_ms = 2_000;
    s
}

pub trait KeySeed {
    fn key_seed(&self) -> String;
}

impl KeySeed for TestEnv {
    fn key_seed(&self) -> String {
        self.key.seed_b64()
    }
}

pub async fn spawn(settings: GatewaySettings) -> RunningApp {
    crate::build(settings)
        .await
        .expect("gateway builds")
        .spawn()
}

pub async fn login(
    http: &reqwest::Client,
    base: &str,
    username: &str,
    password: &str,
) -> reqwest::Response {
    http.post(format!("{base}/api/v1/auth/login"))
        .json(&json!({"username": username, "password": password}))
        .send()
        .await
        .expect("request sent")
}

/// Signs in as `username` at the gateway `base`: the access token.
pub async fn access_token(
    http: &reqwest::Client,
    base: &str,
    username: &str,
    password: &str,
) -> String {
    let body: Value = login(http, base, username, password)
        .await
        .json()
        .await
        .expect("json");
    body["access_token"]
        .as_str()
        .expect("access token")
        .to_owned()
}

pub async fn admin_token(http: &reqwest::Client, base: &str) -> String {
    access_token(http, base, "admin", ADMIN_PASSWORD).await
}

/// A gateway under test with request helpers: `gw.post(token, path, body)`.
pub struct TestGateway {
    pub env: TestEnv,
    pub app: RunningApp,
}

impl TestGateway {
    /// A gateway with the test defaults of [`settings`] (no service reachable).
    pub async fn spawn() -> Self {
        Self::spawn_with(TestEnv::new(), |_| {}).await
    }

    /// A gateway whose test settings `adjust` changes first.
    pub async fn spawn_with(env: TestEnv, adjust: impl FnOnce(&mut GatewaySettings)) -> Self {
        let mut s = settings(&env);
        adjust(&mut s);
        let app = spawn(s).await;
        Self { env, app }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.app.url())
    }

    /// A request to `path`, with `token` as bearer unless it is empty.
    pub fn request(
        &self,
        method: reqwest::Method,
        path: &str,
        token: &str,
    ) -> reqwest::RequestBuilder {
        let request = self.env.http.request(method, self.url(path));
        match token {
            "" => request,
            token => request.bearer_auth(token),
        }
    }

    pub async fn get(&self, token: &str, path: &str) -> reqwest::Response {
        send(self.request(reqwest::Method::GET, path, token)).await
    }

    pub async fn post(&self, token: &str, path: &str, body: &Value) -> reqwest::Response {
        send(self.request(reqwest::Method::POST, path, token).json(body)).await
    }

    pub async fn patch(&self, token: &str, path: &str, body: &Value) -> reqwest::Response {
        send(self.request(reqwest::Method::PATCH, path, token).json(body)).await
    }

    pub async fn delete(&self, token: &str, path: &str) -> reqwest::Response {
        send(self.request(reqwest::Method::DELETE, path, token)).await
    }

    /// The bootstrap admin's access token.
    pub async fn admin_token(&self) -> String {
        admin_token(&self.env.http, &self.app.url()).await
    }

    pub async fn stop(self) {
        self.app.stop().await;
    }
}

pub async fn send(request: reqwest::RequestBuilder) -> reqwest::Response {
    request.send().await.expect("request sent")
}

/// The merchant the test clients and shipments belong to.
pub const MERCHANT: &str = "0193a0c4-8a6e-7c1a-9a51-5f0c2b1d7e01";

/// A valid `POST /api/v1/shipments` body for [`MERCHANT`].
pub fn shipment_body(weight_kg: u32) -> Value {
    json!({
        "recipient": {"name": "张三", "phone": "13812345678", "address": "建国路 88 号", "city": "北京"},
        "origin": {"city": "上海"}, "destination": {"city": "北京"},
        "service_level": "standard", "weight_kg": weight_kg, "freight": {"amount": "12", "currency": "CNY"},
        "merchant_id": MERCHANT
    })
}

/// `POST /api/v1/shipments` with an `Idempotency-Key`.
pub async fn keyed(gw: &TestGateway, token: &str, key: &str, body: &Value) -> reqwest::Response {
    send(
        gw.request(reqwest::Method::POST, "/api/v1/shipments", token)
            .header("idempotency-key", key)
            .json(body),
    )
    .await
}

/// The audit log entries matching `query`, newest first.
pub async fn audit(env: &TestEnv, base: &str, admin: &str, query: &str) -> Vec<Value> {
    let page: Value = send(
        env.http
            .get(format!("{base}/api/v1/audit-log?{query}"))
            .bearer_auth(admin),
    )
    .await
    .json()
    .await
    .expect("json");
    page["data"].as_array().cloned().unwrap_or_default()
}

/// Registers a merchant client allowed `shipments:create`; answers it (`id`, `client_id`,
/// `client_secret`).
pub async fn merchant_client(gw: &TestGateway, admin: &str) -> Value {
    let created = gw
        .post(
            admin,
            "/api/v1/clients",
            &json!({"name": "Shop A", "role": "merchant", "merchant_id": MERCHANT,
                    "scopes": ["shipments:create"]}),
        )
        .await;
    assert_eq!(created.status(), 201);
    created.json().await.expect("json")
}
