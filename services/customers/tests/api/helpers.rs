//! Starts the customers service for one test, and small request helpers.

use chrono::{DateTime, Utc};
use kuaidi_shared::auth::Role;
use kuaidi_shared::clock::Clock;
use kuaidi_shared::crypto::{normalise_phone, PiiCipher};
use kuaidi_shared::events::catalogue::{EventPayload, PlaceV1, ShipmentCreatedV1};
use kuaidi_shared::money::Money;
pub use kuaidi_shared::testing::TestApp;
use kuaidi_shared::testing::{expect_json, publish};
use serde_json::{json, Value};
use uuid::Uuid;

/// The service on the system clock.
pub async fn spawn() -> TestApp {
    TestApp::spawn(
        "customers",
        kuaidi_customers::startup::MIGRATIONS,
        kuaidi_customers::build,
    )
    .await
}

/// The service on a manual clock standing at `at` (jobs tick every 100 ms).
pub async fn spawn_at(at: DateTime<Utc>) -> TestApp {
    TestApp::spawn_with_clock(
        "customers",
        kuaidi_customers::startup::MIGRATIONS,
        Clock::manual(at),
        kuaidi_customers::build,
    )
    .await
}

/// A fixed instant.
pub fn at(rfc3339: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(rfc3339)
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or_else(|e| panic!("{rfc3339}: {e}"))
}

/// The blind index of `phone` under the test settings' key (what a customer token carries).
pub fn phone_hash(app: &TestApp, phone: &str) -> String {
    let settings = app.env.settings_with("postgres://unused".into());
    let pii = PiiCipher::new(&settings.pii).expect("pii cipher");
    pii.blind_index(&normalise_phone(phone).expect("phone"))
}

/// A business customer body.
pub fn acme() -> Value {
    json!({
        "kind": "business",
        "name": "Acme Trading",
        "phones": ["+86 138 1234 5678"],
        "emails": ["Ops@Acme.example"],
        "industry": "ecommerce",
        "size": "medium",
        "region": {"city": "杭州", "province": "浙江"},
        "company": {"legal_name": "杭州阿克米贸易有限公司", "credit_code": "91330100MA2XXXXX0A"}
    })
}

/// Creates a customer as admin (duplicates allowed) and answers its JSON.
pub async fn create(app: &TestApp, body: &Value) -> Value {
    let resp = app
        .post(
            &app.token(Role::Admin),
            "/api/v1/customers?allow_duplicate=true",
            body,
        )
        .await;
    expect_json(resp, 201).await
}

/// The file of customer `id` as an admin reads it (a `200`).
pub async fn read(app: &TestApp, id: Uuid) -> Value {
    let path = format!("/api/v1/customers/{id}");
    expect_json(app.get(&app.token(Role::Admin), &path).await, 200).await
}

/// The id of a created customer.
pub fn id_of(v: &Value) -> Uuid {
    v["id"].as_str().expect("id").parse().expect("uuid")
}

/// Publishes `payload` as if another service emitted it.
pub async fn emit<P: EventPayload>(
    app: &TestApp,
    source: &str,
    subject: Uuid,
    payload: &P,
    time: DateTime<Utc>,
) {
    let event = kuaidi_shared::testing::relayed(source, subject, payload, time);
    publish(&app.env.amqp, &event).await;
}

/// A `shipment.created` of `customer` worth `freight` CNY at `at`.
pub fn shipment(customer: Uuid, freight: &str, at: chrono::DateTime<Utc>) -> ShipmentCreatedV1 {
    ShipmentCreatedV1 {
        shipment_id: Uuid::now_v7(),
        tracking_number: "KD123456785CN".into(),
        merchant_id: None,
        shipper_customer_id: Some(customer),
        service_level: "express".into(),
        origin: PlaceV1 {
            city: "杭州".into(),
            province: None,
            hub_code: None,
        },
        destination: PlaceV1 {
            city: "北京".into(),
            province: None,
            hub_code: None,
        },
        weight_kg: 2.0,
        freight: Money {
            amount: freight.into(),
            currency: "CNY".into(),
        },
        declared_value: None,
        cod_amount: None,
        promised_at: None,
        created_at: at,
        sequence: 1,
        recipient_phone_hash: None,
    }
}
