//! The classification's events are built in SQL (`events::classified`) as batch messages: each
//! event of each outbox row must decode as exactly the CloudEvent the Rust constructor builds
//! from the same payload, and each row is a batch of one type, of at most `BATCH_EVENTS`.

use chrono::{DateTime, Duration, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Jsonb, Text, Uuid as SqlUuid};
use kuaidi_customers::workflow::classify::Classifier;
use kuaidi_shared::events::catalogue::{
    CustomerChurnRiskDetectedV1, CustomerStageChangedV1, CustomerTierChangedV1, EventPayload,
};
use kuaidi_shared::events::outbox::BATCH_EVENTS;
use kuaidi_shared::events::CloudEvent;
use kuaidi_shared::money::Money;
use kuaidi_shared::request::RequestContext;
use kuaidi_shared::testing::migrated_database;
use uuid::Uuid;

use crate::helpers::at;

#[derive(QueryableByName)]
struct Row {
    #[diesel(sql_type = SqlUuid)]
    event_id: Uuid,
    #[diesel(sql_type = Text)]
    event_type: String,
    #[diesel(sql_type = Jsonb)]
    envelope: serde_json::Value,
    #[diesel(sql_type = diesel::sql_types::Integer)]
    events: i32,
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = diesel::sql_types::Integer)]
    events: i32,
}

/// Every outbox row as a batch, checked: one type, as many events as the row says.
fn batches(conn: &mut PgConnection) -> Vec<(Row, Vec<CloudEvent>)> {
    let rows: Vec<Row> = diesel::sql_query(
        "SELECT event_id, event_type, envelope::jsonb AS envelope, events FROM outbox ORDER BY id",
    )
    .load(conn)
    .expect("outbox");
    rows.into_iter()
        .map(|row| {
            let events: Vec<CloudEvent> =
                serde_json::from_value(row.envelope.clone()).expect("a batch of CloudEvents");
            assert_eq!(
                events.len(),
                row.events as usize,
                "the row counts its events"
            );
            assert!(
                events.len() <= BATCH_EVENTS,
                "{} events in a batch",
                events.len()
            );
            assert!(
                events.iter().all(|e| e.type_ == row.event_type),
                "one type a batch"
            );
            assert_ne!(row.event_id, events[0].id, "a batch has an id of its own");
            (row, events)
        })
        .collect()
}

/// A customer with `shipments` on each of the days `ago` before `now`, `spend` minor units each.
fn customer(conn: &mut PgConnection, now: DateTime<Utc>, days: &[(i64, i32, i64)]) -> Uuid {
    let id = Uuid::now_v7();
    diesel::sql_query(
        "INSERT INTO customers (id, kind, name, contacts_sealed, owner_id, merchant_id, \
           created_at, updated_at) VALUES ($1, 'business', 'Firm', '\\x00', $2, $3, $4, $4)",
    )
    .bind::<SqlUuid, _>(id)
    .bind::<SqlUuid, _>(Uuid::now_v7())
    .bind::<diesel::sql_types::Nullable<SqlUuid>, _>(None::<Uuid>)
    .bind::<diesel::sql_types::Timestamptz, _>(now - Duration::days(400))
    .execute(conn)
    .expect("customer");
    for &(ago, shipments, spend) in days {
        let t = now - Duration::days(ago);
        diesel::sql_query(
            "INSERT INTO customer_shipment_days (customer_id, day, currency, shipments, \
               spend_minor, last_shipment_at) VALUES ($1, $2::date, 'CNY', $3, $4, $2)",
        )
        .bind::<SqlUuid, _>(id)
        .bind::<diesel::sql_types::Timestamptz, _>(t)
        .bind::<diesel::sql_types::Integer, _>(shipments)
        .bind::<diesel::sql_types::BigInt, _>(spend)
        .execute(conn)
        .expect("activity");
    }
    id
}

#[derive(QueryableByName)]
struct Owner {
    #[diesel(sql_type = diesel::sql_types::Nullable<SqlUuid>)]
    owner_id: Option<Uuid>,
}

fn owner_of(conn: &mut PgConnection, id: Uuid) -> Option<Uuid> {
    diesel::sql_query("SELECT owner_id FROM customers WHERE id = $1")
        .bind::<SqlUuid, _>(id)
        .get_result::<Owner>(conn)
        .expect("owner")
        .owner_id
}

/// What `CloudEvent::new` builds for `payload`, with the id and trace of `got`.
fn built<P: EventPayload>(got: &CloudEvent, subject: Uuid, payload: &P) -> CloudEvent {
    let ctx = RequestContext {
        request_id: String::new(),
        traceparent: got.traceparent.clone().expect("traceparent"),
    };
    CloudEvent::new(
        "customers",
        subject.to_string(),
        payload,
        &ctx,
        got.id,
        got.time,
    )
}

#[test]
fn the_sql_built_events_decode_as_the_rust_constructor_builds_them() {
    let mut conn = PgConnection::establish(&migrated_database(
        "customers",
        kuaidi_customers::startup::MIGRATIONS,
    ))
    .expect("database");
    // Nanoseconds: the times in the payloads must be the clock's, not PostgreSQL's microseconds.
    let now = at("2026-09-01T12:00:00.123456789Z");
    // A new customer of 123.45 CNY; one slipping away: 10 shipments in 90 days, 1 in the last 30.
    let new = customer(&mut conn, now, &[(10, 1, 12_345)]);
    let slipping = customer(
        &mut conn,
        now,
        &[(5, 1, 500), (50, 4, 2_000), (70, 5, 2_500)],
    );
    let changed = conn
        .transaction(|c| Classifier::default().run(c, now))
        .expect("classification");
    assert_eq!(changed, 2);
    let mut seen: Vec<(Uuid, String)> = Vec::new();
    for (row, events) in batches(&mut conn) {
        for (got, json) in events
            .iter()
            .zip(row.envelope.as_array().expect("an array"))
        {
            assert_eq!(got.id.get_version_num(), 7, "ids are UUID v7");
            assert_eq!(got.time, now);
            let subject: Uuid = got
                .subject
                .as_deref()
                .expect("subject")
                .parse()
                .expect("uuid");
            let owner_id = owner_of(&mut conn, subject);
            let want = match (got.type_.as_str(), subject == new) {
                ("customer.tier_changed", is_new) => built(
                    got,
                    subject,
                    &CustomerTierChangedV1 {
                        customer_id: subject,
                        merchant_id: None,
                        owner_id,
                        from: Some("small".into()),
                        to: "key".into(),
                        spend_12m: Money::from_minor(if is_new { 12_345 } else { 5_000 }, "CNY"),
                        changed_at: now,
                    },
                ),
                ("customer.stage_changed", is_new) => built(
                    got,
                    subject,
                    &CustomerStageChangedV1 {
                        customer_id: subject,
                        merchant_id: None,
                        owner_id,
                        from: Some("prospect".into()),
                        to: if is_new { "new" } else { "at_risk" }.into(),
                        changed_at: now,
                    },
                ),
                ("customer.churn_risk_detected", false) => {
                    let baseline = 10_f64 / 3.0;
                    built(
                        got,
                        subject,
                        &CustomerChurnRiskDetectedV1 {
                            customer_id: subject,
                            merchant_id: None,
                            owner_id,
                            baseline_monthly: baseline,
                            last_30d: 1,
                            drop_ratio: 1.0 - 1_f64 / baseline,
                            detected_at: now,
                        },
                    )
                }
                other => panic!("unexpected event {other:?}: {json}"),
            };
            assert_eq!(got, &want);
            assert_eq!(
                &serde_json::to_value(&want).expect("json"),
                json,
                "the very JSON the Rust constructor writes"
            );
            seen.push((subject, got.type_.clone()));
        }
    }
    seen.sort();
    // Batches are per type: each customer's events, in the catalogue's order.
    let of = |id: Uuid| -> Vec<&str> {
        seen.iter()
            .filter(|(s, _)| *s == id)
            .map(|(_, t)| t.as_str())
            .collect()
    };
    assert_eq!(of(new), ["customer.stage_changed", "customer.tier_changed"]);
    assert_eq!(
        of(slipping),
        [
            "customer.churn_risk_detected",
            "customer.stage_changed",
            "customer.tier_changed"
        ]
    );
    // A second run changes nothing and writes nothing.
    let again = conn
        .transaction(|c| Classifier::default().run(c, now))
        .expect("classification");
    assert_eq!(again, 0);
}

#[test]
fn a_large_run_writes_its_events_in_batches_of_at_most_batch_events() {
    let mut conn = PgConnection::establish(&migrated_database(
        "customers",
        kuaidi_customers::startup::MIGRATIONS,
    ))
    .expect("database");
    let now = at("2026-09-01T12:00:00Z");
    // 1,201 new customers, each with one shipment 10 days ago: each changes stage (and those
    // out of the `small` tail, tier).
    let n = 2 * BATCH_EVENTS + 201;
    diesel::sql_query(
        "WITH c AS (
           INSERT INTO customers (id, kind, name, contacts_sealed, created_at, updated_at)
           SELECT gen_random_uuid(), 'individual', 'C' || i, '\\x00', $2, $2
           FROM generate_series(1, $1) AS i RETURNING id)
         INSERT INTO customer_shipment_days
           (customer_id, day, currency, shipments, spend_minor, last_shipment_at)
         SELECT id, ($3::timestamptz)::date, 'CNY', 1, 1000, $3 FROM c",
    )
    .bind::<diesel::sql_types::Integer, _>(n as i32)
    .bind::<diesel::sql_types::Timestamptz, _>(now - Duration::days(400))
    .bind::<diesel::sql_types::Timestamptz, _>(now - Duration::days(10))
    .execute(&mut conn)
    .expect("customers");
    let changed = conn
        .transaction(|c| Classifier::default().run(c, now))
        .expect("classification");
    assert_eq!(changed, n);
    let batches = batches(&mut conn);
    let sizes = |type_: &str| -> Vec<usize> {
        let mut sizes: Vec<usize> = batches
            .iter()
            .filter(|(row, _)| row.event_type == type_)
            .map(|(_, events)| events.len())
            .collect();
        sizes.sort_unstable();
        sizes
    };
    assert_eq!(
        sizes("customer.stage_changed"),
        [201, BATCH_EVENTS, BATCH_EVENTS]
    );
    let tiers = sizes("customer.tier_changed");
    let raised = diesel::sql_query(
        "SELECT count(*)::int AS events FROM customers WHERE value_tier <> 'small'",
    )
    .get_result::<Count>(&mut conn)
    .expect("count")
    .events as usize;
    assert!(
        raised > BATCH_EVENTS * 2,
        "{raised} customers left the small tier"
    );
    assert_eq!(tiers.len(), 3, "one batch per chunk of changes: {tiers:?}");
    assert_eq!(tiers.iter().sum::<usize>(), raised);
    let mut ids: Vec<Uuid> = batches
        .iter()
        .flat_map(|(_, e)| e.iter().map(|e| e.id))
        .collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(
        ids.len(),
        n + raised,
        "every event once, each with its own id"
    );
}
