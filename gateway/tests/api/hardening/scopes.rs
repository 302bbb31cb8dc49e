//! OAuth2 scopes are enforced per capability, so only capability scopes may be granted.

use serde_json::{json, Value};

use crate::helpers::TestGateway;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_may_only_be_granted_scopes_that_name_capabilities() {
    let gw = TestGateway::spawn().await;
    let admin = gw.admin_token().await;
    let unknown = gw
        .post(
            &admin,
            "/api/v1/clients",
            &json!({"name": "scanner", "role": "operator", "scopes": ["everything"]}),
        )
        .await;
    assert_eq!(unknown.status(), 422);
    let problem: Value = unknown.json().await.expect("json");
    assert_eq!(problem["errors"][0]["field"], "scopes");
    let known = gw
        .post(
            &admin,
            "/api/v1/clients",
            &json!({"name": "scanner", "role": "operator", "scopes": ["tracking-events:ingest"]}),
        )
        .await;
    assert_eq!(known.status(), 201);
    gw.stop().await;
}
