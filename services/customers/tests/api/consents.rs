//! Consents in the shapes integrators send, and profile extras given on creation.

use kuaidi_shared::auth::Role;
use kuaidi_shared::testing::expect_json;
use serde_json::{json, Value};

use crate::helpers::{create, id_of, spawn};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn consents_are_accepted_in_full_as_booleans_and_as_a_flat_map() {
    let app = spawn().await;
    let admin = app.token(Role::Admin);
    let id = id_of(&create(&app, &json!({"kind": "individual", "name": "韩梅梅"})).await);
    let path = format!("/api/v1/customers/{id}/consents");

    let full = json!({"consents": {"marketing": {"granted": true, "source": "paper"}}});
    let full = expect_json(app.put(&admin, &path, &full).await, 200).await;
    assert_eq!(full["consents"]["marketing"]["source"], "paper");

    let booleans = json!({"consents": {"marketing": false, "care_messages": true}});
    let booleans = expect_json(app.put(&admin, &path, &booleans).await, 200).await;
    assert_eq!(booleans["consents"]["marketing"]["granted"], false);
    assert_eq!(booleans["consents"]["care_messages"]["granted"], true);
    assert_eq!(booleans["consents"]["care_messages"]["source"], "api");

    let flat = json!({"marketing": true, "profile_extras": true});
    let flat = expect_json(app.put(&admin, &path, &flat).await, 200).await;
    assert_eq!(flat["consents"]["marketing"]["granted"], true);
    assert_eq!(flat["consents"]["profile_extras"]["granted"], true);
    assert_eq!(flat["consents"]["care_messages"]["granted"], true, "kept");
    assert_eq!(flat["history"].as_array().map(Vec::len), Some(5));

    for (body, field) in [
        (json!({"telepathy": true}), "telepathy"),
        (
            json!({"consents": {"telepathy": true}}),
            "consents.telepathy",
        ),
    ] {
        let bad = expect_json(app.put(&admin, &path, &body).await, 422).await;
        assert_eq!(bad["errors"][0]["field"], field, "{bad}");
    }
    let wrong_type = json!({"consents": {"marketing": "yes"}});
    assert_eq!(app.put(&admin, &path, &wrong_type).await.status(), 422);
    app.app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_birthday_given_on_creation_is_kept_only_with_consent_given_in_the_same_call() {
    let app = spawn().await;
    let admin = app.token(Role::Admin);
    let extras = json!({"kind": "individual", "name": "李雷", "birthday": "1990-03-14",
        "family": {"children": 2}});
    let without = expect_json(app.post(&admin, "/api/v1/customers", &extras).await, 201).await;
    assert_eq!(
        without["birthday"],
        Value::Null,
        "not stored without consent"
    );
    assert_eq!(without["family"], Value::Null);

    let mut consented = extras.clone();
    consented["name"] = json!("韩梅梅");
    consented["consents"] = json!({"profile_extras": {"granted": true, "source": "paper"},
        "marketing": false});
    let with = expect_json(app.post(&admin, "/api/v1/customers", &consented).await, 201).await;
    assert_eq!(with["birthday"], "1990-03-14");
    assert_eq!(with["family"], json!({"children": 2}));
    assert_eq!(with["consents"]["profile_extras"]["source"], "paper");
    assert_eq!(with["consents"]["marketing"]["granted"], false);
    let path = format!("/api/v1/customers/{}/consents", id_of(&with));
    let history = expect_json(app.get(&admin, &path).await, 200).await;
    assert_eq!(history["history"].as_array().map(Vec::len), Some(2));

    let bad = json!({"kind": "individual", "name": "X", "birthday": "1990-02-30",
        "consents": {"telepathy": true}});
    let bad = expect_json(app.post(&admin, "/api/v1/customers", &bad).await, 422).await;
    let fields: Vec<&str> = bad["errors"]
        .as_array()
        .map(|e| e.iter().filter_map(|e| e["field"].as_str()).collect())
        .unwrap_or_default();
    assert_eq!(fields, ["birthday", "consents.telepathy"], "{bad}");
    app.app.stop().await;
}
