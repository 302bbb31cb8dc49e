//! Starts the shipments service for one test.

use kuaidi_shared::app::RunningApp;
use kuaidi_shared::auth::Role;
use kuaidi_shared::testing::TestEnv;
use serde_json::{json, Value};
use uuid::Uuid;

pub struct TestApp {
    pub env: TestEnv,
    pub app: RunningApp,
}

impl TestApp {
    pub async fn spawn() -> Self {
        let env = TestEnv::new();
        let app = kuaidi_shipments::build(env.settings("shipments"))
            .await
            .expect("shipments service builds")
            .spawn();
        Self { env, app }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.app.url())
    }

    pub async fn create(&self, token: &str, body: &Value) -> reqwest::Response {
        self.env
            .http
            .post(self.url("/api/v1/shipments"))
            .bearer_auth(token)
            .json(body)
            .send()
            .await
            .expect("request sent")
    }

    pub async fn get(&self, token: &str, tracking_number: &str) -> reqwest::Response {
        self.env
            .http
            .get(self.url(&format!("/api/v1/shipments/{tracking_number}")))
            .bearer_auth(token)
            .send()
            .await
            .expect("request sent")
    }

    pub fn admin(&self) -> String {
        self.env.token(Role::Admin, None)
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
