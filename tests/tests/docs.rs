//! The committed `proto-docs/openapi.json` and `proto-docs/asyncapi.yaml` must be what the
//! running system describes: the OpenAPI document as the gateway merges it at run time from
//! the four services' `/openapi.json`, the AsyncAPI document from the event catalogue.
//! `make openapi` (KUAIDI_WRITE_DOCS=1) rewrites them.

use kuaidi_gateway::docs::{asyncapi_yaml, Json};
use kuaidi_tests::Suite;
use std::path::PathBuf;

fn check(file: &str, generated: String) {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../proto-docs")
        .join(file);
    if std::env::var("KUAIDI_WRITE_DOCS").is_ok_and(|v| v == "1") {
        std::fs::write(&path, &generated).expect("write proto-docs");
        return;
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == generated,
        "proto-docs/{file} is stale: run `make openapi` and commit the result"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn committed_openapi_is_what_the_gateway_merges_from_the_running_services() {
    let suite = Suite::start().await;
    let body = suite
        .env
        .http
        .get(suite.url("/openapi.json"))
        .send()
        .await
        .expect("sent")
        .bytes()
        .await
        .expect("body");
    let doc = Json::parse(&body).expect("the merged document is JSON");
    assert!(
        doc.get("x-kuaidi-unavailable").is_none(),
        "every service answered"
    );
    for path in [
        "/api/v1/shipments",
        "/api/v1/customers",
        "/api/v1/complaints",
    ] {
        assert!(
            doc.get("paths").and_then(|p| p.get(path)).is_some(),
            "{path} merged from its service"
        );
    }
    check("openapi.json", doc.pretty());
    suite.stop().await;
}

#[test]
fn committed_asyncapi_matches_the_event_catalogue() {
    let yaml = asyncapi_yaml();
    assert!(yaml.contains("shipment.created"), "catalogue rendered");
    check("asyncapi.yaml", yaml);
}
