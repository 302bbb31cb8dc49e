//! What consent changes record: a change answers the very times it stored (a later read shows
//! the same), and an erasure withdraws every purpose granted (an erased person is contacted no
//! more), in the history as any withdrawal, announcing nothing beyond `customer.erased`.

use diesel::prelude::*;
use diesel::sql_types::{Bool, Nullable, Text, Uuid as SqlUuid};
use kuaidi_shared::auth::Role;
use kuaidi_shared::clock::Clock;
use kuaidi_shared::testing::{eventually, expect_json, migrated_database, user_token, TestEnv};
use serde_json::json;
use std::time::Duration as StdDuration;
use uuid::Uuid;

use crate::helpers::{at, create, id_of, read, spawn_at, TestApp};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_consent_change_answers_the_times_a_later_read_shows() {
    // A clock finer than PostgreSQL's microseconds, as the system's is.
    let app = spawn_at(at("2030-05-01T08:00:00.123456789Z")).await;
    let admin = app.token(Role::Admin);
    let id = id_of(&create(&app, &json!({"kind": "individual", "name": "韩梅梅"})).await);
    let path = format!("/api/v1/customers/{id}/consents");

    let put = expect_json(
        app.put(&admin, &path, &json!({"marketing": true})).await,
        200,
    )
    .await;
    assert_eq!(
        put["consents"]["marketing"]["at"], "2030-05-01T08:00:00.123456Z",
        "recorded to the microsecond: {put}"
    );
    assert_eq!(
        put["history"][0]["at"], put["consents"]["marketing"]["at"],
        "the history's time is the consent's"
    );
    let later = expect_json(app.get(&admin, &path).await, 200).await;
    assert_eq!(later, put, "a later read answers what the change answered");
    assert_eq!(read(&app, id).await["consents"], put["consents"]);
    app.app.stop().await;
}

/// The service on the system clock, on a database the test may read too (its URL).
async fn spawn_with_database() -> (TestApp, String) {
    let (env, clock) = (TestEnv::new(), Clock::system());
    let url = migrated_database("customers", kuaidi_customers::startup::MIGRATIONS);
    let mut settings = env.settings_with(url.clone());
    settings.clock = clock.clone();
    let Ok(app) = kuaidi_customers::build(settings).await else {
        panic!("the customers service builds on {url}");
    };
    let app = app.spawn();
    (TestApp { env, app, clock }, url)
}

#[derive(QueryableByName, Debug, PartialEq)]
struct Entry {
    #[diesel(sql_type = Text)]
    purpose: String,
    #[diesel(sql_type = Bool)]
    granted: bool,
    #[diesel(sql_type = Text)]
    source: String,
    #[diesel(sql_type = Nullable<Text>)]
    actor: Option<String>,
}

/// Customer `id`'s consent history, oldest first.
fn history(url: &str, id: Uuid) -> Vec<Entry> {
    let mut conn = PgConnection::establish(url).expect("database");
    diesel::sql_query(
        "SELECT purpose, granted, source, actor FROM consent_history \
         WHERE customer_id = $1 ORDER BY recorded_at, purpose",
    )
    .bind::<SqlUuid, _>(id)
    .load(&mut conn)
    .expect("consent history")
}

/// The history entry of `purpose` withdrawn by an erasure by `actor`.
fn withdrawn_by_erasure(purpose: &str, actor: &Option<String>) -> Entry {
    Entry {
        purpose: purpose.into(),
        granted: false,
        source: "erasure".into(),
        actor: actor.clone(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_erasure_withdraws_every_granted_consent_and_announces_nothing_more() {
    let (app, url) = spawn_with_database().await;
    let eraser = Uuid::now_v7();
    let admin = user_token(&app.env.key, Role::Admin, eraser);
    let tap = app.env.tap().await;
    let granted = json!({"kind": "individual", "name": "韩梅梅", "consents": {
        "marketing": {"granted": true, "source": "app"}, "care_messages": true,
        "profile_extras": false}});
    let person = id_of(&create(&app, &granted).await);
    let also = json!({"kind": "individual", "name": "韩梅梅", "consents": {"marketing": true}});
    let duplicate = id_of(&create(&app, &also).await);
    let merge = json!({"duplicate_id": duplicate});
    let merged = app
        .post(&admin, &format!("/api/v1/customers/{person}/merge"), &merge)
        .await;
    expect_json(merged, 200).await;
    let mut expected = (history(&url, person), history(&url, duplicate));

    let path = format!("/api/v1/customers/{person}");
    assert_eq!(app.delete(&admin, &path).await.status(), 204);
    let erased = read(&app, person).await;
    for purpose in ["marketing", "care_messages"] {
        let consent = &erased["consents"][purpose];
        assert_eq!(
            (&consent["granted"], &consent["source"]),
            (&json!(false), &json!("erasure")),
            "{purpose} withdrawn by the erasure: {erased}"
        );
        assert_eq!(
            consent["at"], erased["erased_at"],
            "{purpose} withdrawn when erased"
        );
    }
    assert_eq!(
        (
            &erased["consents"]["profile_extras"]["granted"],
            &erased["consents"]["profile_extras"]["source"]
        ),
        (&json!(false), &json!("api")),
        "a purpose withdrawn before stays as it was"
    );
    let by = Some(eraser.to_string());
    expected.0.extend([
        withdrawn_by_erasure("care_messages", &by),
        withdrawn_by_erasure("marketing", &by),
    ]);
    expected.1.push(withdrawn_by_erasure("marketing", &by));
    assert_eq!(
        (history(&url, person), history(&url, duplicate)),
        expected,
        "each withdrawal recorded in the history, the merged duplicate's too"
    );
    let merged_away = read(&app, duplicate).await;
    assert_eq!(
        merged_away["consents"]["marketing"]["granted"], false,
        "the duplicate merged into the erased file is erased with it: {merged_away}"
    );

    // What the erasure announced is published by the time a later change's event is.
    let marker = id_of(&create(&app, &json!({"kind": "individual", "name": "Li"})).await);
    let (mut told, mut marked) = (Vec::new(), false);
    while !(marked && told.iter().any(|t| t == "customer.erased")) {
        let event = eventually(StdDuration::from_secs(10), "an event", || tap.try_next()).await;
        let subject = event.subject.clone().unwrap_or_default();
        marked |= subject == marker.to_string();
        if [person, duplicate]
            .iter()
            .any(|id| id.to_string() == subject)
        {
            told.push(event.type_);
        }
    }
    told.sort();
    assert_eq!(
        told,
        [
            "customer.created",
            "customer.created",
            "customer.erased",
            "customer.merged",
            "customer.updated",
        ],
        "the files' creation and merge, and the erasure announced by customer.erased alone"
    );
    app.app.stop().await;
}
