//! A shipment moves a prospect to `new`, a churned customer back to `active` and a customer
//! reaching the loyalty threshold to `loyal` at once, without waiting for the classification
//! run.

use chrono::{DateTime, Duration, Utc};
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

/// A connection to a freshly migrated database of the service's own, without the service.
fn fresh_database() -> PgConnection {
    PgConnection::establish(&migrated_database(
        "customers",
        kuaidi_customers::startup::MIGRATIONS,
    ))
    .expect("database")
}

/// The `shipment.created` of a 1 CNY shipment of `id` at `now`, as the shipments service relays it.
fn shipment_event(id: Uuid, now: DateTime<Utc>) -> CloudEvent {
    relayed("shipments", id, &shipment(id, "1.00", now), now)
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
fn a_new_shipment_brings_a_churned_customer_back_and_leaves_a_loyal_one_as_it_is() {
    let conn = &mut fresh_database();
    let now = Utc::now();
    let t = Thresholds::DEFAULT;
    let churned = customer(conn, "churned", None);
    let loyal = customer(conn, "loyal", None);
    let survivor = customer(conn, "churned", None);
    let duplicate = customer(conn, "prospect", Some(survivor));
    // The event of a shipment of `id` at `now`, applied as if it happened `at`.
    let shipped = |conn: &mut PgConnection, id: Uuid, at| {
        lifecycle::shipped(conn, &shipment_event(id, now), id, at, &t).expect("applied")
    };

    shipped(conn, churned, now);
    assert_eq!(stage_of(conn, churned), "active");
    shipped(conn, loyal, now);
    assert_eq!(
        stage_of(conn, loyal),
        "loyal",
        "the classification's to change"
    );
    shipped(conn, duplicate, now);
    assert_eq!(
        stage_of(conn, survivor),
        "active",
        "a duplicate's shipment moves its survivor"
    );
    assert_eq!(stage_of(conn, duplicate), "prospect");
    assert_eq!(stage_events(conn), 2);

    let old = customer(conn, "churned", None);
    shipped(conn, old, now - Duration::days(t.churn_days + 1));
    assert_eq!(
        stage_of(conn, old),
        "churned",
        "a shipment too old to revive"
    );
    assert_eq!(stage_events(conn), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_twelfth_shipment_in_six_months_makes_a_customer_loyal_without_the_classification() {
    // On the system clock the hourly classification does not run during the test.
    let app = spawn().await;
    let admin = app.token(Role::Admin);
    let id = id_of(&create(&app, &json!({"kind": "business", "name": "Firm"})).await);
    let tap = app.env.tap().await;

    let now = Utc::now();
    for n in 0..12 {
        let at = now - Duration::days(11 - n);
        emit(&app, "shipments", id, &shipment(id, "12.50", at), at).await;
    }
    let path = format!("/api/v1/customers/{id}");
    let loyal = poll_json(
        StdDuration::from_secs(20),
        "the stage moved to loyal",
        || app.get(&admin, &path),
        |c| (c["lifecycle_stage"] == "loyal").then_some(c),
    )
    .await;
    assert_eq!(loyal["stats"]["shipments_12m"], 12);
    let mut moves = Vec::new();
    for _ in 0..2 {
        let event = tap
            .next_of_type("customer.stage_changed", StdDuration::from_secs(10))
            .await;
        moves.push((event.data["from"].clone(), event.data["to"].clone()));
    }
    assert_eq!(
        moves,
        vec![
            (json!("prospect"), json!("new")),
            (json!("new"), json!("loyal"))
        ]
    );
    app.app.stop().await;
}

#[test]
fn a_shipment_reaching_loyalty_moves_new_active_and_churned_files_but_not_those_at_risk() {
    use kuaidi_customers::db::activity::record_shipment;
    let conn = &mut fresh_database();
    let now = Utc::now();
    let t = Thresholds::DEFAULT;
    // A shipment of `id` `days_ago`, recorded and applied as the consumer does.
    let ship = |conn: &mut PgConnection, id: Uuid, days_ago: i64| {
        let at = now - Duration::days(days_ago);
        record_shipment(conn, id, at, "CNY", 100).expect("recorded");
        lifecycle::shipped(conn, &shipment_event(id, now), id, at, &t).expect("applied");
    };
    let survivor = customer(conn, "active", None);
    let duplicate = customer(conn, "prospect", Some(survivor));
    for days_ago in 0..11 {
        ship(conn, survivor, days_ago * 9);
    }
    assert_eq!(stage_of(conn, survivor), "active", "11 in six months");
    assert_eq!(stage_events(conn), 0);
    ship(conn, duplicate, 1);
    assert_eq!(
        stage_of(conn, survivor),
        "loyal",
        "the 12th, by its merged duplicate"
    );
    assert_eq!(stage_events(conn), 1);

    for stage in ["new", "churned", "at_risk"] {
        let id = customer(conn, stage, None);
        for _ in 0..12 {
            ship(conn, id, 0);
        }
        let expected = if stage == "at_risk" {
            "at_risk"
        } else {
            "loyal"
        };
        assert_eq!(stage_of(conn, id), expected, "from {stage}");
    }
    assert_eq!(
        stage_events(conn),
        4,
        "new → loyal; churned → active at the first, active → loyal at the 12th"
    );
}
