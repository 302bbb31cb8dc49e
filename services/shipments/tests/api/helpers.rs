//! The shipments service for one test, on the shared `TestApp`, and what tests read of it (the
//! events in its outbox) or start it with (webhook settings).

use diesel::sql_types::{Jsonb, Text};
use diesel::{Connection, PgConnection, QueryableByName, RunQueryDsl};
use kuaidi_shared::auth::Role;
pub use kuaidi_shared::testing::TestApp;
use kuaidi_shipments::configuration::WebhookSettings;
use serde_json::{json, Value};
use uuid::Uuid;

/// The shipments service on a fresh database (see `kuaidi_shared::testing::TestApp`).
pub async fn spawn() -> TestApp {
    TestApp::spawn(
        "shipments",
        kuaidi_shipments::startup::MIGRATIONS,
        kuaidi_shipments::build,
    )
    .await
}

/// The service on a database whose URL the test keeps (for calling repository code directly
/// or reading what the service recorded).
pub async fn spawn_with_database() -> (TestApp, String) {
    let hooks = kuaidi_shipments::configuration::load_webhooks().expect("webhook settings");
    spawn_with_database_and(hooks).await
}

/// Like [`spawn_with_database`], with these webhook settings instead of the configuration's.
pub async fn spawn_with_database_and(hooks: WebhookSettings) -> (TestApp, String) {
    let env = kuaidi_shared::testing::TestEnv::new();
    let mut settings = env.settings("shipments");
    let url = kuaidi_shared::testing::fresh_database("shipments");
    settings.database_url = url.clone().into();
    let app = kuaidi_shipments::startup::build_with(settings, hooks)
        .await
        .expect("shipments service builds")
        .spawn();
    let clock = kuaidi_shared::clock::Clock::system();
    (TestApp { env, app, clock }, url)
}

/// Shipment requests every test file makes.
#[allow(async_fn_in_trait)]
pub trait Shipments {
    fn admin(&self) -> String;
    async fn create(&self, token: &str, body: &Value) -> reqwest::Response;
    async fn shipment(&self, token: &str, tracking_number: &str) -> reqwest::Response;
    /// A shipment an admin created for a new merchant, as answered.
    async fn created(&self) -> Value;
}

impl Shipments for TestApp {
    fn admin(&self) -> String {
        self.token(Role::Admin)
    }

    async fn create(&self, token: &str, body: &Value) -> reqwest::Response {
        self.post(token, "/api/v1/shipments", body).await
    }

    async fn shipment(&self, token: &str, tracking_number: &str) -> reqwest::Response {
        self.get(token, &format!("/api/v1/shipments/{tracking_number}"))
            .await
    }

    async fn created(&self) -> Value {
        let resp = self
            .create(&self.admin(), &shipment_body(Uuid::now_v7()))
            .await;
        assert_eq!(resp.status(), 201, "the shipment was to be created");
        resp.json().await.expect("json")
    }
}

/// A valid creation body for `merchant_id`.
pub fn shipment_body(merchant_id: Uuid) -> Value {
    json!({
        "recipient": {"name": "张三丰", "phone": "13812345678", "address": "朝阳区建国路 88 号", "city": "北京"},
        "origin": {"city": "上海", "province": "上海", "hub_code": "SHA01"},
        "destination": {"city": "北京", "province": "北京", "hub_code": "PEK02"},
        "service_level": "express",
        "weight_kg": 1.2,
        "freight": {"amount": "18.50", "currency": "CNY"},
        "merchant_id": merchant_id,
    })
}

/// Webhook settings for tests: private targets allowed or not, retries in milliseconds.
pub fn webhook_settings(allow_private: bool) -> WebhookSettings {
    WebhookSettings {
        allow_private_targets: allow_private,
        retry_schedule_ms: vec![100, 200, 300],
        retry_for_ms: 60_000,
        disable_after_ms: 3_600_000,
        request_timeout_ms: 3_000,
        poll_ms: 50,
        lease_ms: 10_000,
        batch_size: 20,
        per_endpoint: 4,
        retention_days: 30,
    }
}

/// The `data` of every `type_` event about `tracking_number` in the service's outbox (which
/// holds them from the commit that answered the request on; batch messages unfolded), by
/// sequence.
pub fn written(url: &str, type_: &str, tracking_number: &str) -> Vec<Value> {
    #[derive(QueryableByName)]
    struct Data {
        #[diesel(sql_type = Jsonb)]
        data: Value,
    }
    let mut conn = PgConnection::establish(url).expect("the service's database");
    let rows: Vec<Data> = diesel::sql_query(
        "SELECT e -> 'data' AS data FROM outbox o, \
           LATERAL (SELECT o.envelope::jsonb AS j) b, jsonb_array_elements( \
             CASE jsonb_typeof(b.j) WHEN 'array' THEN b.j ELSE jsonb_build_array(b.j) END) e \
         WHERE o.event_type = $1 AND e -> 'data' ->> 'tracking_number' = $2 \
         ORDER BY (e -> 'data' ->> 'sequence')::int8",
    )
    .bind::<Text, _>(type_)
    .bind::<Text, _>(tracking_number)
    .load(&mut conn)
    .expect("outbox");
    rows.into_iter().map(|r| r.data).collect()
}

/// The data of every `notification.requested` with `template` about `tracking_number` in the
/// service's outbox, the recipient's first (`addressee` `recipient`, then `shipper`).
pub fn notes(url: &str, tracking_number: &str, template: &str) -> Vec<Value> {
    let mut notes: Vec<Value> = written(url, "notification.requested", tracking_number)
        .into_iter()
        .filter(|n| n["template_id"] == template)
        .collect();
    notes.sort_by(|a, b| a["addressee"].as_str().cmp(&b["addressee"].as_str()));
    notes
}

/// Ingests one scan (a `tracking-events:batch` event, `tracking_number` included) as an
/// operator, and checks it was accepted.
pub async fn scan_accepted(t: &TestApp, event: Value) {
    let operator = t.env.token(Role::Operator, None);
    let request = t
        .request(
            reqwest::Method::POST,
            "/api/v1/tracking-events:batch",
            &operator,
        )
        .json(&json!({ "events": [event] }));
    let body = kuaidi_shared::testing::send_json(request).await;
    assert_eq!(body["results"][0]["result"], "accepted", "{body}");
}
