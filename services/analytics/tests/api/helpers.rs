//! Starts the analytics service for one test, feeds it events through RabbitMQ and reads its
//! KPIs.

use chrono::{DateTime, TimeZone, Utc};
use kuaidi_shared::auth::Role;
use kuaidi_shared::clock::Clock;
use kuaidi_shared::events::catalogue::{
    ComplaintReceivedV1, PlaceV1, ShipmentCreatedV1, ShipmentDeliveredV1,
    ShipmentExceptionRaisedV1, ShipmentStatusChangedV1,
};
use kuaidi_shared::events::{CloudEvent, EventPayload};
use kuaidi_shared::money::Money;
use kuaidi_shared::testing;
use kuaidi_shared::testing::{eventually, publish};
use serde_json::Value;
use std::time::Duration;
use uuid::Uuid;

/// How long an event may take from the broker to the KPIs in a test.
pub const PROPAGATION: Duration = Duration::from_secs(10);

/// The analytics service under test, with helpers to feed it events and read its reports.
pub struct TestApp {
    pub t: testing::TestApp,
}

impl std::ops::Deref for TestApp {
    type Target = testing::TestApp;
    fn deref(&self) -> &Self::Target {
        &self.t
    }
}

impl TestApp {
    /// On the system clock.
    pub async fn spawn() -> Self {
        Self {
            t: testing::TestApp::spawn(
                "analytics",
                kuaidi_analytics::startup::MIGRATIONS,
                kuaidi_analytics::build,
            )
            .await,
        }
    }

    /// On a manual clock starting at `now` (jobs tick every 100 ms).
    pub async fn spawn_at(now: DateTime<Utc>) -> Self {
        Self {
            t: testing::TestApp::spawn_with_clock(
                "analytics",
                kuaidi_analytics::startup::MIGRATIONS,
                Clock::manual(now),
                kuaidi_analytics::build,
            )
            .await,
        }
    }

    /// Publishes `event` to the test exchange as a producer's relay does: routing key = event
    /// type, persistent, `message_id` = event id, confirmed. Publishes are in order, and the
    /// service handles its queue one delivery at a time, in order.
    pub async fn publish(&self, event: &CloudEvent) {
        publish(&self.t.env.amqp, event).await;
    }

    /// Publishes `payload` as its producer would at `time`.
    pub async fn emit<P: EventPayload>(&self, payload: &P, time: DateTime<Utc>) {
        self.publish(&event(payload, Uuid::now_v7(), time)).await;
    }

    /// Publishes `payloads` (of one type) as one batch message, as the producer's relay does with
    /// the events of one request: the service gets them all at once.
    pub async fn emit_batch<P: EventPayload>(&self, payloads: &[(P, DateTime<Utc>)]) {
        let events: Vec<CloudEvent> = payloads
            .iter()
            .map(|(p, time)| event(p, Uuid::now_v7(), *time))
            .collect();
        testing::publish_batch(&self.t.env.amqp, &events).await;
    }

    /// `GET {path}` as JSON.
    pub async fn get_json(&self, token: &str, path: &str) -> Value {
        self.t.get(token, path).await.json().await.expect("json")
    }

    /// `GET {path}` as JSON once `ready` holds (polled until [`PROPAGATION`]).
    pub async fn get_when<F>(&self, token: &str, path: &str, what: &str, ready: F) -> Value
    where
        F: Fn(&Value) -> bool,
    {
        eventually(PROPAGATION, what, || async {
            let body: Value = self.t.get(token, path).await.json().await.ok()?;
            ready(&body).then_some(body)
        })
        .await
    }

    /// `GET /api/v1/analytics/kpis?{query}`, or without a token when `token` is `None`.
    pub async fn kpis(&self, token: Option<&str>, query: &str) -> reqwest::Response {
        let request = self
            .env
            .http
            .get(self.url(&format!("/api/v1/analytics/kpis?{query}")));
        match token {
            Some(token) => request.bearer_auth(token),
            None => request,
        }
        .send()
        .await
        .expect("request sent")
    }

    /// The KPI report of `query`, once `ready` holds for it (polled until [`PROPAGATION`]).
    /// `GET /kpis?{query}` as an admin, `200` and its JSON.
    pub async fn kpis_json(&self, query: &str) -> Value {
        self.kpis_as(&self.admin(), query).await
    }

    /// The KPI report of `query` as `token` sees it (a `200`).
    pub async fn kpis_as(&self, token: &str, query: &str) -> Value {
        let resp = self.kpis(Some(token), query).await;
        assert_eq!(resp.status(), 200, "{query}");
        resp.json().await.expect("json")
    }

    pub async fn kpis_when<F>(&self, token: &str, query: &str, what: &str, ready: F) -> Value
    where
        F: Fn(&Value) -> bool,
    {
        eventually(PROPAGATION, what, || async {
            let report: Value = self.kpis(Some(token), query).await.json().await.ok()?;
            ready(&report).then_some(report)
        })
        .await
    }

    pub async fn kpi_definitions(&self, token: &str) -> reqwest::Response {
        self.env
            .http
            .get(self.url("/api/v1/analytics/kpi-definitions"))
            .bearer_auth(token)
            .send()
            .await
            .expect("request sent")
    }

    pub fn merchant_token(&self, merchant_id: Uuid) -> String {
        self.t.merchant(merchant_id)
    }

    pub fn admin(&self) -> String {
        self.t.token(Role::Admin)
    }

    /// An agent's token whose subject is `user_id`.
    pub fn agent(&self, user_id: Uuid) -> String {
        testing::user_token(&self.t.env.key, Role::Agent, user_id)
    }

    pub async fn stop(self) {
        self.t.app.stop().await;
    }
}

/// A `shipment.created` payload: express, Shanghai → Beijing (北京, 北京).
pub fn shipment(merchant_id: Uuid, created_at: DateTime<Utc>) -> ShipmentCreatedV1 {
    let shipment_id = Uuid::now_v7();
    ShipmentCreatedV1 {
        shipment_id,
        tracking_number: format!("KD{:09}CN", shipment_id.as_u128() % 1_000_000_000),
        merchant_id: Some(merchant_id),
        shipper_customer_id: None,
        service_level: "express".into(),
        origin: PlaceV1 {
            city: "上海".into(),
            province: Some("上海".into()),
            hub_code: Some("SHA01".into()),
        },
        destination: PlaceV1 {
            city: "北京".into(),
            province: Some("北京".into()),
            hub_code: Some("PEK02".into()),
        },
        weight_kg: 1.2,
        freight: Money {
            amount: "18.50".into(),
            currency: "CNY".into(),
        },
        declared_value: None,
        cod_amount: None,
        promised_at: None,
        created_at,
        sequence: 1,
        recipient_phone_hash: None,
    }
}

/// A `complaint.received` payload: a delay complaint in Beijing.
pub fn complaint(merchant_id: Uuid, received_at: DateTime<Utc>) -> ComplaintReceivedV1 {
    ComplaintReceivedV1 {
        complaint_id: Uuid::now_v7(),
        number: "C2026112500001".into(),
        type_: "complaint".into(),
        channel: "phone".into(),
        category: Some("delay".into()),
        priority: "normal".into(),
        customer_id: None,
        merchant_id: Some(merchant_id),
        tracking_number: None,
        city: Some("北京".into()),
        received_at,
        proactive: false,
    }
}

/// The CloudEvent of `payload`, as its producer would emit it at `time`.
pub fn event<P: EventPayload>(payload: &P, subject: Uuid, time: DateTime<Utc>) -> CloudEvent {
    testing::relayed(P::PRODUCER, subject, payload, time)
}

pub fn shipment_event(merchant_id: Uuid, created_at: DateTime<Utc>) -> CloudEvent {
    let s = shipment(merchant_id, created_at);
    event(&s, s.shipment_id, created_at)
}

pub fn complaint_event(merchant_id: Uuid, received_at: DateTime<Utc>) -> CloudEvent {
    let c = complaint(merchant_id, received_at);
    event(&c, c.complaint_id, received_at)
}

/// Noon UTC of a calendar day.
pub fn noon(year: i32, month: u32, day: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(year, month, day, 12, 0, 0)
        .single()
        .expect("a valid day")
}

/// The `field` of every row of a report.
pub fn column(report: &Value, field: &str) -> Vec<Value> {
    report["data"]
        .as_array()
        .expect("data is an array")
        .iter()
        .map(|row| row[field].clone())
        .collect()
}

/// `shipment.delivered` of `s` at `when`, on time or not.
pub fn delivered(s: &ShipmentCreatedV1, when: DateTime<Utc>, on_time: bool) -> ShipmentDeliveredV1 {
    ShipmentDeliveredV1 {
        shipment_id: s.shipment_id,
        tracking_number: s.tracking_number.clone(),
        merchant_id: s.merchant_id,
        shipper_customer_id: s.shipper_customer_id,
        substatus: Some("signed".into()),
        promised_at: when,
        delivered_at: when,
        on_time,
        sequence: 5,
        first_in_transit_at: None,
    }
}

/// `shipment.exception_raised` of `s` at `when`, of substatus `kind`.
pub fn exception(
    s: &ShipmentCreatedV1,
    kind: &str,
    when: DateTime<Utc>,
) -> ShipmentExceptionRaisedV1 {
    ShipmentExceptionRaisedV1 {
        shipment_id: s.shipment_id,
        tracking_number: s.tracking_number.clone(),
        merchant_id: s.merchant_id,
        shipper_customer_id: None,
        substatus: Some(kind.into()),
        occurred_at: when,
        location: None,
        sequence: 3,
    }
}

/// `shipment.status_changed` of `s` into `in_transit` at `when`.
pub fn in_transit(s: &ShipmentCreatedV1, when: DateTime<Utc>) -> ShipmentStatusChangedV1 {
    ShipmentStatusChangedV1 {
        shipment_id: s.shipment_id,
        tracking_number: s.tracking_number.clone(),
        merchant_id: s.merchant_id,
        shipper_customer_id: None,
        from: "picked_up".into(),
        to: "in_transit".into(),
        substatus: None,
        sequence: 2,
        occurred_at: when,
        location: None,
    }
}

/// The query of the (UTC) day `at` falls on: `from=<day>&to=<day>`.
pub fn one_day(at: DateTime<Utc>) -> String {
    let day = at.date_naive();
    format!("from={day}&to={day}")
}

/// Reverts the migrations of `conn`'s database down to before `version` (a test of that
/// migration then stores rows as the release before kept them, and migrates again).
pub fn revert_to_before(conn: &mut diesel::PgConnection, version: &str) {
    use diesel_migrations::MigrationHarness;
    loop {
        let applied = conn.applied_migrations().expect("the applied migrations");
        if !applied.iter().any(|v| v.to_string().as_str() >= version) {
            return;
        }
        conn.revert_last_migration(kuaidi_analytics::startup::MIGRATIONS)
            .expect("reverted");
    }
}

/// An event payload: the fields of `base`, with those of `extra` added or replaced.
pub fn payload<P: serde::de::DeserializeOwned>(base: &Value, extra: Value) -> P {
    let mut v = base.clone();
    for (k, x) in extra.as_object().expect("object") {
        v[k] = x.clone();
    }
    serde_json::from_value(v).expect("payload")
}
