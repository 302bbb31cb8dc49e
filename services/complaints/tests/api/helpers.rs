//! Starts the complaints service for one test.

use kuaidi_shared::app::RunningApp;
use kuaidi_shared::auth::Role;
use kuaidi_shared::testing::TestEnv;
use serde_json::Value;

pub struct TestApp {
    pub env: TestEnv,
    pub app: RunningApp,
}

impl TestApp {
    pub async fn spawn() -> Self {
        let env = TestEnv::new();
        let app = kuaidi_complaints::build(env.settings("complaints"))
            .await
            .expect("complaints service builds")
            .spawn();
        Self { env, app }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.app.url())
    }

    pub async fn create(&self, token: &str, body: &Value) -> reqwest::Response {
        self.env
            .http
            .post(self.url("/api/v1/complaints"))
            .bearer_auth(token)
            .json(body)
            .send()
            .await
            .expect("request sent")
    }

    pub async fn get(&self, token: &str, id: &str) -> reqwest::Response {
        self.env
            .http
            .get(self.url(&format!("/api/v1/complaints/{id}")))
            .bearer_auth(token)
            .send()
            .await
            .expect("request sent")
    }

    pub fn admin(&self) -> String {
        self.env.token(Role::Admin, None)
    }
}
