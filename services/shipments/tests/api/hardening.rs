//! PII rights of issue 14: every answer showing recipients unmasked is flagged for the
//! gateway's audit log (lists, batch reads, create answers), and operators see them masked.

use kuaidi_shared::auth::Role;
use kuaidi_shared::http::PII_AUDIT_HEADER;
use serde_json::{json, Value};
use uuid::Uuid;

use crate::helpers::{shipment_body, spawn, Shipments, TestApp};

fn audit_target(resp: &reqwest::Response) -> Option<String> {
    resp.headers()
        .get(PII_AUDIT_HEADER)
        .map(|v| v.to_str().expect("ascii").to_owned())
}

async fn created(t: &TestApp) -> String {
    t.created().await["tracking_number"]
        .as_str()
        .expect("tn")
        .to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_create_answer_showing_the_recipient_is_flagged_for_the_audit() {
    let t = spawn().await;
    let resp = t.create(&t.admin(), &shipment_body(Uuid::now_v7())).await;
    assert_eq!(resp.status(), 201);
    let target = audit_target(&resp).expect("flagged");
    let body: Value = resp.json().await.expect("json");
    assert_eq!(body["recipient"]["phone"], "13812345678");
    assert_eq!(
        target,
        format!("shipment:{}", body["tracking_number"].as_str().expect("tn"))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_list_showing_recipients_is_flagged_with_every_shipment_shown() {
    let t = spawn().await;
    let (a, b) = (created(&t).await, created(&t).await);
    let resp = t
        .env
        .http
        .get(t.url("/api/v1/shipments"))
        .bearer_auth(t.admin())
        .send()
        .await
        .expect("sent");
    assert_eq!(resp.status(), 200);
    let target = audit_target(&resp).expect("flagged");
    assert!(target.starts_with("shipment:"), "{target}");
    assert!(target.contains(&a) && target.contains(&b), "{target}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_get_showing_recipients_is_flagged() {
    let t = spawn().await;
    let tn = created(&t).await;
    let resp = t
        .env
        .http
        .post(t.url("/api/v1/tracking:batch-get"))
        .bearer_auth(t.admin())
        .json(&json!({"tracking_numbers": [tn]}))
        .send()
        .await
        .expect("sent");
    assert_eq!(resp.status(), 200);
    assert_eq!(audit_target(&resp), Some(format!("shipment:{tn}")));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn operators_see_recipients_masked_and_their_reads_are_not_pii_reads() {
    let t = spawn().await;
    let tn = created(&t).await;
    let operator = t.env.token(Role::Operator, None);
    let resp = t.shipment(&operator, &tn).await;
    assert_eq!(resp.status(), 200);
    assert_eq!(audit_target(&resp), None);
    let seen: Value = resp.json().await.expect("json");
    assert_eq!(seen["recipient"]["phone"], "138****5678");
    assert_eq!(seen["recipient"]["address"], "***");
    let list = t
        .env
        .http
        .get(t.url("/api/v1/shipments"))
        .bearer_auth(&operator)
        .send()
        .await
        .expect("sent");
    assert_eq!(audit_target(&list), None, "a masked list is no PII read");
}

/// Relay lease take-over: a row claimed by a relay that died (lease over) is published by the
/// next relay; a row under another live relay's lease is left to that relay.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_relay_takes_over_rows_whose_lease_ran_out_and_leaves_live_leases_alone() {
    use crate::webhooks::created_event;
    use diesel::prelude::*;
    use kuaidi_shared::events::Outbox;
    use kuaidi_shared::testing::{eventually, migrated_database, TestEnv};

    let env = TestEnv::new();
    let database = migrated_database("shipments_relay", kuaidi_shipments::startup::MIGRATIONS);
    let mut conn = PgConnection::establish(&database).expect("connects");
    let merchant = Uuid::now_v7();
    let (crashed, live) = (created_event(merchant), created_event(merchant));
    Outbox::enqueue(&mut conn, &crashed).expect("enqueued");
    Outbox::enqueue(&mut conn, &live).expect("enqueued");
    let claim = |id: Uuid, until: &str| {
        format!("UPDATE outbox SET claimed_until = now() + interval '{until}', attempts = 1 WHERE event_id = '{id}'")
    };
    diesel::sql_query(claim(crashed.id, "-1 second"))
        .execute(&mut conn)
        .expect("expired lease");
    diesel::sql_query(claim(live.id, "1 hour"))
        .execute(&mut conn)
        .expect("live lease");

    let app = kuaidi_shipments::build(env.settings_with(database.clone()))
        .await
        .expect("builds")
        .spawn();
    #[derive(QueryableByName)]
    struct Published {
        #[diesel(sql_type = diesel::sql_types::Bool)]
        crashed: bool,
        #[diesel(sql_type = diesel::sql_types::Bool)]
        live: bool,
    }
    let query = format!(
        "SELECT bool_or(published_at IS NOT NULL) FILTER (WHERE event_id = '{}') AS crashed, \
                bool_or(published_at IS NOT NULL) FILTER (WHERE event_id = '{}') AS live FROM outbox",
        crashed.id, live.id
    );
    let state = eventually(
        std::time::Duration::from_secs(10),
        "the expired lease taken over",
        || {
            let state: Published = diesel::sql_query(&query)
                .get_result(&mut conn)
                .expect("query");
            async move { state.crashed.then_some(state) }
        },
    )
    .await;
    // Both rows were candidates of the same claim: the live lease was skipped, not missed.
    assert!(!state.live, "a live lease belongs to its relay");
    app.stop().await;
}
