//! The gateway's test support lives in the crate (`kuaidi_gateway::testing`, feature `testing`),
//! shared with the end-to-end tests.

pub use kuaidi_gateway::testing::*;

/// `POST /api/v1/auth/token` with `form`.
pub async fn token_request(gw: &TestGateway, form: &[(&str, &str)]) -> reqwest::Response {
    gw.env
        .http
        .post(gw.url("/api/v1/auth/token"))
        .form(form)
        .send()
        .await
        .expect("sent")
}
