//! The classification's events are built in SQL (`events::classified`): each row of the outbox
//! must decode as exactly the CloudEvent the Rust constructor builds from the same payload.

use chrono::{DateTime, Duration, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Jsonb, Text, Uuid as SqlUuid};
use kuaidi_customers::workflow::classify::Classifier;
use kuaidi_shared::events::catalogue::{
    CustomerChurnRiskDetectedV1, CustomerStageChangedV1, CustomerTierChangedV1, EventPayload,
};
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
    let rows: Vec<Row> =
        diesel::sql_query("SELECT event_id, event_type, envelope FROM outbox ORDER BY id")
            .load(&mut conn)
            .expect("outbox");
    let mut seen: Vec<(Uuid, String)> = Vec::new();
    for row in &rows {
        let got: CloudEvent = serde_json::from_value(row.envelope.clone()).expect("a CloudEvent");
        assert_eq!(got.id, row.event_id, "the row's event id is the envelope's");
        assert_eq!(got.id.get_version_num(), 7, "ids are UUID v7");
        assert_eq!(got.type_, row.event_type);
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
                &got,
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
                &got,
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
                    &got,
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
            other => panic!("unexpected event {other:?}: {}", row.envelope),
        };
        assert_eq!(got, want);
        assert_eq!(
            serde_json::to_value(&want).expect("json"),
            row.envelope,
            "the very JSON the Rust constructor writes"
        );
        seen.push((subject, got.type_.clone()));
    }
    let of = |id: Uuid| -> Vec<&str> {
        seen.iter()
            .filter(|(s, _)| *s == id)
            .map(|(_, t)| t.as_str())
            .collect()
    };
    assert_eq!(
        of(new),
        ["customer.tier_changed", "customer.stage_changed"],
        "in order per customer"
    );
    assert_eq!(
        of(slipping),
        [
            "customer.tier_changed",
            "customer.stage_changed",
            "customer.churn_risk_detected"
        ]
    );
    // A second run changes nothing and writes nothing.
    let again = conn
        .transaction(|c| Classifier::default().run(c, now))
        .expect("classification");
    assert_eq!(again, 0);
}
