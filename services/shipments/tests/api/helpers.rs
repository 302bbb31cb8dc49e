//! The shipments service for one test, on the shared `TestApp`.

use kuaidi_shared::auth::Role;
pub use kuaidi_shared::testing::TestApp;
use serde_json::{json, Value};
use uuid::Uuid;

/// The shipments service on a fresh database (see `kuaidi_shared::testing::TestApp`).
pub async fn spawn() -> TestApp {
    TestApp::spawn(
        "shipments",
        kuaidi_shipments::startup::MIGRATIONS,
        kuaidi_shipments::build,
    )
    .await
}

/// The service on a database whose URL the test keeps (for calling repository code directly
/// or reading what the service recorded).
pub async fn spawn_with_database() -> (TestApp, String) {
    let env = kuaidi_shared::testing::TestEnv::new();
    let mut settings = env.settings("shipments");
    let url = kuaidi_shared::testing::fresh_database("shipments");
    settings.database_url = url.clone().into();
    let app = kuaidi_shipments::build(settings)
        .await
        .expect("shipments service builds")
        .spawn();
    let clock = kuaidi_shared::clock::Clock::system();
    (TestApp { env, app, clock }, url)
}

/// Shipment requests every test file makes.
#[allow(async_fn_in_trait)]
pub trait Shipments {
    fn admin(&self) -> String;
    async fn create(&self, token: &str, body: &Value) -> reqwest::Response;
    async fn shipment(&self, token: &str, tracking_number: &str) -> reqwest::Response;
    /// A shipment an admin created for a new merchant, as answered.
    async fn created(&self) -> Value;
}

impl Shipments for TestApp {
    fn admin(&self) -> String {
        self.token(Role::Admin)
    }

    async fn create(&self, token: &str, body: &Value) -> reqwest::Response {
        self.post(token, "/api/v1/shipments", body).await
    }

    async fn shipment(&self, token: &str, tracking_number: &str) -> reqwest::Response {
        self.get(token, &format!("/api/v1/shipments/{tracking_number}"))
            .await
    }

    async fn created(&self) -> Value {
        let resp = self
            .create(&self.admin(), &shipment_body(Uuid::now_v7()))
            .await;
        assert_eq!(resp.status(), 201, "the shipment was to be created");
        resp.json().await.expect("json")
    }
}

/// A valid creation body for `merchant_id`.
pub fn shipment_body(merchant_id: Uuid) -> Value {
    json!({
        "recipient": {"name": "张三丰", "phone": "13812345678", "address": "朝阳区建国路 88 号", "city": "北京"},
        "origin": {"city": "上海", "province": "上海", "hub_code": "SHA01"},
        "destination": {"city": "北京", "province": "北京", "hub_code": "PEK02"},
        "service_level": "express",
        "weight_kg": 1.2,
        "freight": {"amount": "18.50", "currency": "CNY"},
        "merchant_id": merchant_id,
    })
}
