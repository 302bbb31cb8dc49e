//! Starts the customers service for one test.

use kuaidi_shared::app::RunningApp;
use kuaidi_shared::auth::Role;
use kuaidi_shared::testing::TestEnv;
use serde_json::Value;
use uuid::Uuid;

pub struct TestApp {
    pub env: TestEnv,
    pub app: RunningApp,
}

impl TestApp {
    pub async fn spawn() -> Self {
        let env = TestEnv::new();
        let app = kuaidi_customers::build(env.settings("customers"))
            .await
            .expect("customers service builds")
            .spawn();
        Self { env, app }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.app.url())
    }

    pub async fn create(&self, token: &str, query: &str, body: &Value) -> reqwest::Response {
        self.env
            .http
            .post(self.url(&format!("/api/v1/customers{query}")))
            .bearer_auth(token)
            .json(body)
            .send()
            .await
            .expect("request sent")
    }

    pub async fn get(&self, token: &str, id: &str) -> reqwest::Response {
        self.env
            .http
            .get(self.url(&format!("/api/v1/customers/{id}")))
            .bearer_auth(token)
            .send()
            .await
            .expect("request sent")
    }

    pub fn token(&self, role: Role) -> String {
        self.env.token(role, None)
    }

    pub fn merchant(&self, id: Uuid) -> String {
        self.env.token(Role::Merchant, Some(id))
    }
}
