//! A method a path of the gateway's own does not take (SPEC §2): `405` problem+json, with
//! `Allow` naming those it takes.

use kuaidi_shared::testing::expect_not_allowed;
use reqwest::Method;

use crate::helpers::TestGateway;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_method_on_the_gateways_own_paths_is_a_405_problem_with_allow() {
    let gw = TestGateway::spawn().await;
    let admin = gw.admin_token().await;
    let id = uuid::Uuid::now_v7();
    let (user, unlock) = (
        format!("/api/v1/users/{id}"),
        format!("/api/v1/users/{id}:unlock"),
    );
    let client = format!("/api/v1/clients/{id}");
    for (method, path, allow) in [
        (Method::PATCH, "/api/v1/users", "POST, GET"),
        (Method::PUT, &user, "GET, PATCH, DELETE"),
        (Method::GET, &unlock, "POST"),
        (Method::PATCH, &client, "GET, DELETE"),
        (Method::PUT, "/api/v1/api-keys", "POST, GET"),
        (Method::POST, "/api/v1/audit-log", "GET"),
        (Method::DELETE, "/api/v1/audit-log", "GET"),
        (Method::DELETE, "/api/v1/auth/customer-token", "POST"),
        (Method::GET, "/api/v1/auth/login", "POST"),
        (Method::PUT, "/api/v1/auth/token", "POST"),
        (Method::POST, "/.well-known/jwks.json", "GET"),
        (Method::DELETE, "/openapi.json", "GET"),
    ] {
        let resp = gw.request(method.clone(), path, &admin).send().await;
        let problem = expect_not_allowed(resp.expect("sent"), path, allow).await;
        let what = format!("{method} {path}: {problem}");
        assert_eq!(problem["status"], 405, "{what}");
        assert_eq!(problem["title"], "Method not allowed", "{what}");
        assert!(problem["type"].is_string(), "{what}");
        let detail = problem["detail"].as_str().unwrap_or_default();
        assert!(detail.starts_with(method.as_str()), "{what}");
        assert!(detail.ends_with(allow), "{what}");
    }
    gw.stop().await;
}
