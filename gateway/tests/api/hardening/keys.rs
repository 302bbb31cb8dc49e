//! Built-in development keys only in development mode; a stored development signing key is
//! neither published nor trusted once a real one is configured.

use kuaidi_shared::testing::{body_json, TestEnv};

use crate::helpers::{settings, TestGateway};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_gateway_refuses_to_start_with_the_built_in_pii_keys_outside_development_mode() {
    let env = TestEnv::new();
    let mut s = settings(&env);
    s.dev_mode = false;
    let refused = kuaidi_gateway::build(s).await.err().expect("refused");
    assert!(refused.to_string().contains("KUAIDI_DEV_MODE"), "{refused}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_gateway_refuses_to_generate_a_signing_key_outside_development_mode() {
    let env = TestEnv::new();
    let mut s = settings(&env);
    s.dev_mode = false;
    s.pii.blind_index_key = "b3duLWJsaW5kLWluZGV4LWtleS1vZi10aGlzLWRlcGxveQ=="
        .to_owned()
        .into();
    s.pii.keys = [(
        "own".to_owned(),
        "b3duLWtleS1vZi10aGlzLWRlcGxveW1lbnQtMzJieXRlcz0="
            .to_owned()
            .into(),
    )]
    .into();
    s.pii.active_key_id = "own".into();
    s.jwt.signing_key = None;
    let refused = kuaidi_gateway::build(s).await.err().expect("refused");
    assert!(refused.to_string().contains("signing_key"), "{refused}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stored_development_key_is_neither_published_nor_trusted_once_a_key_is_configured() {
    let mut database = None;
    let dev = TestGateway::spawn_with(TestEnv::new(), |s| {
        s.jwt.signing_key = None;
        database = Some(s.database_url.clone());
    })
    .await;
    let dev_token = dev.admin_token().await;
    let jwks = body_json(dev.get("", "/.well-known/jwks.json").await).await;
    let dev_kid = jwks["keys"][0]["kid"].as_str().expect("kid").to_owned();
    assert_eq!(dev.get(&dev_token, "/api/v1/users").await.status(), 200);
    dev.stop().await;

    let database = database.expect("database");
    let configured =
        TestGateway::spawn_with(TestEnv::new(), move |s| s.database_url = database).await;
    let jwks = body_json(configured.get("", "/.well-known/jwks.json").await).await;
    let kids = kuaidi_shared::testing::strings(&jwks["keys"], "kid");
    assert_eq!(kids, vec![configured.env.key.kid.as_str()]);
    assert!(!kids.contains(&dev_kid.as_str()));
    assert_eq!(
        configured.get(&dev_token, "/api/v1/users").await.status(),
        401,
        "a token of the development key is no longer trusted"
    );
    configured.stop().await;
}
