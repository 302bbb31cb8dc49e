//! A shipment moves a prospect to `new` and a churned customer back to `active` at once,
//! without waiting for the classification run.

use chrono::{Duration, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Text, Uuid as SqlUuid};
use kuaidi_customers::domain::classification::Thresholds;
use kuaidi_customers::workflow::lifecycle;
use kuaidi_shared::auth::Role;
use kuaidi_shared::events::CloudEvent;
use kuaidi_shared::testing::{expect_json, migrated_database, poll_json, relayed};
use serde_json::json;
use std::time::Duration as StdDuration;
use uuid::Uuid;

use crate::helpers::{create, emit, id_of, shipment, spawn};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_first_shipment_makes_a_prospect_new_without_the_classification() {
    // On the system clock the hourly classification does not run during the test.
    let app = spawn().await;
    let admin = app.token(Role::Admin);
    let created = create(&app, &json!({"kind": "business", "name": "Firm"})).await;
    assert_eq!(created["lifecycle_stage"], "prospect");
    let id = id_of(&created);
    let tap = app.env.tap().await;

    let now = Utc::now();
    emit(&app, "shipments", id, &shipment(id, "12.50", now), now).await;

    let path = format!("/api/v1/customers/{id}");
    poll_json(
        StdDuration::from_secs(20),
        "the stage moved to new",
        || app.get(&admin, &path),
        |c| (c["lifecycle_stage"] == "new").then_some(()),
    )
    .await;
    let event = tap
        .next_of_type("customer.stage_changed", StdDuration::from_secs(10))
        .await;
    assert_eq!(event.data["customer_id"], id.to_string());
    assert_eq!(event.data["from"], "prospect");
    assert_eq!(event.data["to"], "new");
    let again = expect_json(app.get(&admin, &path).await, 200).await;
    assert_eq!(again["stats"]["shipments_12m"], 1);
    app.app.stop().await;
}

#[derive(QueryableByName)]
struct Stage {
    #[diesel(sql_type = Text)]
    lifecycle_stage: String,
}

fn stage_of(conn: &mut PgConnection, id: Uuid) -> String {
    diesel::sql_query("SELECT lifecycle_stage FROM customers WHERE id = $1")
        .bind::<SqlUuid, _>(id)
        .get_result::<Stage>(conn)
        .expect("stage")
        .lifecycle_stage
}

fn customer(conn: &mut PgConnection, stage: &str, merged_into: Option<Uuid>) -> Uuid {
    let id = Uuid::now_v7();
    diesel::sql_query(
        "INSERT INTO customers (id, kind, name, contacts_sealed, lifecycle_stage, merged_into, \
           created_at, updated_at) VALUES ($1, 'business', 'Firm', '\\x00', $2, $3, now(), now())",
    )
    .bind::<SqlUuid, _>(id)
    .bind::<Text, _>(stage)
    .bind::<diesel::sql_types::Nullable<SqlUuid>, _>(merged_into)
    .execute(conn)
    .expect("customer");
    id
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    n: i64,
}

fn stage_events(conn: &mut PgConnection) -> i64 {
    diesel::sql_query(
        "SELECT count(*) AS n FROM outbox WHERE event_type = 'customer.stage_changed'",
    )
    .get_result::<Count>(conn)
    .expect("count")
    .n
}

#[test]
fn a_new_shipment_brings_a_churned_customer_back_and_moves_only_prospects_and_churned() {
    let mut conn = PgConnection::establish(&migrated_database(
        "customers",
        kuaidi_customers::startup::MIGRATIONS,
    ))
    .expect("database");
    let conn = &mut conn;
    let now = Utc::now();
    let t = Thresholds::DEFAULT;
    let churned = customer(conn, "churned", None);
    let loyal = customer(conn, "loyal", None);
    let survivor = customer(conn, "churned", None);
    let duplicate = customer(conn, "prospect", Some(survivor));
    let event = |id: Uuid| relayed("shipments", id, &shipment(id, "1.00", now), now);
    let shipped = |conn: &mut PgConnection, e: &CloudEvent, id: Uuid, at| {
        lifecycle::shipped(conn, e, id, at, &t).expect("applied")
    };

    shipped(conn, &event(churned), churned, now);
    assert_eq!(stage_of(conn, churned), "active");
    shipped(conn, &event(loyal), loyal, now);
    assert_eq!(
        stage_of(conn, loyal),
        "loyal",
        "the classification's to change"
    );
    shipped(conn, &event(duplicate), duplicate, now);
    assert_eq!(
        stage_of(conn, survivor),
        "active",
        "a duplicate's shipment moves its survivor"
    );
    assert_eq!(stage_of(conn, duplicate), "prospect");
    assert_eq!(stage_events(conn), 2);

    let old = customer(conn, "churned", None);
    shipped(
        conn,
        &event(old),
        old,
        now - Duration::days(t.churn_days + 1),
    );
    assert_eq!(
        stage_of(conn, old),
        "churned",
        "a shipment too old to revive"
    );
    assert_eq!(stage_events(conn), 2);
}
