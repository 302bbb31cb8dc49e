//! The committed `proto-docs/openapi.json` and `proto-docs/asyncapi.yaml` must be what the code
//! generates. `make openapi` (KUAIDI_WRITE_DOCS=1) rewrites them.

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

#[test]
fn committed_openapi_matches_the_code() {
    check("openapi.json", kuaidi_gateway::docs::openapi_json());
}

#[test]
fn committed_asyncapi_matches_the_event_catalogue() {
    let yaml = kuaidi_gateway::docs::asyncapi_yaml();
    assert!(yaml.contains("shipment.created"), "catalogue rendered");
    check("asyncapi.yaml", yaml);
}
