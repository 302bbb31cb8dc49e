//! A merge's answer shows PII as a read of the survivor would (SPEC §3: an agent sees it
//! unmasked only on the customers they own): a dry run, which writes nothing, as the survivor's
//! file stands; a merge as the merged file does, whose owner may have changed.

use kuaidi_shared::auth::Role;
use kuaidi_shared::testing::{expect_json, user_token};
use reqwest::Response;
use serde_json::{json, Value};
use uuid::Uuid;

use crate::helpers::{create, id_of, spawn, TestApp};

/// The fields masked for callers without the right to see PII.
const PII: [&str; 3] = ["phones", "emails", "addresses"];

/// The customers a response is flagged as showing unmasked (`kuaidi-audit-pii`), if any.
fn flagged(resp: &Response) -> Option<String> {
    resp.headers()
        .get("kuaidi-audit-pii")
        .map(|v| v.to_str().expect("ascii").to_owned())
}

/// The PII fields of a customer view.
fn pii_of(customer: &Value) -> Value {
    PII.iter()
        .map(|f| (f.to_string(), customer[f].clone()))
        .collect()
}

/// An agent's token, with an unowned file (phone, email, address) and a file of the agent's
/// own (another phone): `(token, unowned, own, the agent's id)`.
async fn two_files(app: &TestApp) -> (String, Uuid, Uuid, Uuid) {
    let me = Uuid::now_v7();
    let unowned = json!({"kind": "individual", "name": "王芳", "phones": ["13812347478"],
        "emails": ["wang@example.com"],
        "addresses": [{"label": "home", "address": "1 Main St", "is_frequent": true}]});
    let own = json!({"kind": "individual", "name": "王芳", "phones": ["13900001111"],
        "owner_id": me});
    let (unowned, own) = (create(app, &unowned).await, create(app, &own).await);
    let agent = user_token(&app.env.key, Role::Agent, me);
    (agent, id_of(&unowned), id_of(&own), me)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dry_run_shows_an_agent_the_survivors_pii_as_a_read_of_it_would() {
    let app = spawn().await;
    let (agent, unowned, mine, me) = two_files(&app).await;
    let path = format!("/api/v1/customers/{unowned}");
    let read = app.get(&agent, &path).await;
    assert_eq!(flagged(&read), None, "an unowned file reads masked");
    let read = expect_json(read, 200).await;
    assert_eq!(read["phones"], json!(["138****7478"]));

    let body = json!({"duplicate_id": mine});
    let dry = app
        .post(&agent, &format!("{path}/merge?dry_run=true"), &body)
        .await;
    assert_eq!(flagged(&dry), None, "a dry run shows no PII unmasked");
    let dry = expect_json(dry, 200).await;
    let text = dry.to_string();
    for secret in [
        "13812347478",
        "wang@example.com",
        "1 Main St",
        "13900001111",
    ] {
        assert!(
            !text.contains(secret),
            "the dry run masks {secret} as the survivor's read does: {dry}"
        );
    }
    assert_eq!(
        dry["customer"]["phones"],
        json!(["138****7478", "139****1111"])
    );
    assert_eq!(
        dry["customer"]["owner_id"],
        json!(me),
        "the merged record, with the duplicate's owner"
    );
    let again = expect_json(app.get(&agent, &path).await, 200).await;
    assert_eq!(again["owner_id"], Value::Null, "nothing written");
    app.app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_merge_shows_the_merged_files_pii_as_a_read_after_it_would() {
    let app = spawn().await;
    let (agent, unowned, mine, me) = two_files(&app).await;
    let path = format!("/api/v1/customers/{unowned}");
    let body = json!({"duplicate_id": mine});
    let merged = app.post(&agent, &format!("{path}/merge"), &body).await;
    assert_eq!(
        flagged(&merged),
        Some(format!("customer:{unowned}")),
        "the merged file is the agent's now: its PII shown, and flagged"
    );
    let merged = expect_json(merged, 200).await;
    assert_eq!(merged["customer"]["owner_id"], json!(me));
    let read = app.get(&agent, &path).await;
    assert_eq!(flagged(&read), Some(format!("customer:{unowned}")));
    let read = expect_json(read, 200).await;
    assert_eq!(
        pii_of(&merged["customer"]),
        pii_of(&read),
        "the merge shows PII as a read after it"
    );
    assert_eq!(read["phones"], json!(["13812347478", "13900001111"]));
    app.app.stop().await;
}
