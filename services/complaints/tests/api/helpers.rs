//! Starts the complaints service for one test (the shared [`TestApp`] on its own database and
//! broker namespace, on the system clock or a manual one), and what tests need around it:
//! requests, tokens, events as the other services would publish them.

use chrono::{DateTime, Utc};
use diesel::{Connection, PgConnection};
use kuaidi_shared::auth::Role;
use kuaidi_shared::clock::Clock;
use kuaidi_shared::events::catalogue::{
    CustomerErasedV1, CustomerMergedV1, CustomerTierChangedV1, EventPayload, PlaceV1,
    ShipmentCreatedV1,
};
use kuaidi_shared::events::CloudEvent;
use kuaidi_shared::money::Money;
pub use kuaidi_shared::testing::refused_fields;
use kuaidi_shared::testing::{eventually, migrated_database, publish, TestApp, TestEnv};
use serde_json::{json, Value};
use std::time::Duration;
use uuid::Uuid;

/// The complaints service under test.
pub struct Desk {
    pub t: TestApp,
    /// The service's own database, to wait for its projections.
    database_url: String,
}

impl std::ops::Deref for Desk {
    type Target = TestApp;
    fn deref(&self) -> &TestApp {
        &self.t
    }
}

impl Desk {
    /// On the system clock.
    pub async fn spawn() -> Self {
        Self::spawn_with_clock(Clock::system()).await
    }

    /// On `clock`; a manual clock makes every job tick each 100 ms.
    pub async fn spawn_with_clock(clock: Clock) -> Self {
        let env = TestEnv::new();
        let database_url = migrated_database("complaints", kuaidi_complaints::startup::MIGRATIONS);
        let mut settings = env.settings_with(database_url.clone());
        if clock.is_manual() {
            settings.jobs.tick_ms = Some(100);
        }
        settings.clock = clock.clone();
        let app = kuaidi_complaints::build(settings)
            .await
            .expect("complaints service builds")
            .spawn();
        Self {
            t: TestApp { env, app, clock },
            database_url,
        }
    }

    /// On a manual clock standing at `start`.
    pub async fn at(start: &str) -> Self {
        Self::spawn_with_clock(Clock::manual(time(start))).await
    }

    pub async fn stop(self) {
        self.t.app.stop().await;
    }

    pub async fn create(&self, token: &str, body: &Value) -> reqwest::Response {
        self.post(token, "/api/v1/complaints", body).await
    }

    /// Creates a case that must be accepted (`201`) and returns it.
    pub async fn created(&self, token: &str, body: &Value) -> Value {
        let resp = self.create(token, body).await;
        let status = resp.status();
        let body = resp.text().await.unwrap_or_default();
        assert_eq!(status, 201, "the case should be opened: {body}");
        serde_json::from_str(&body).expect("json")
    }

    /// Opens a case of `category` as an admin; its id.
    pub async fn opened(&self, category: &str) -> String {
        let case = self.created(&self.admin(), &complaint(category)).await;
        case["id"].as_str().expect("id").to_owned()
    }

    pub async fn case(&self, token: &str, id: &str) -> reqwest::Response {
        self.get(token, &format!("/api/v1/complaints/{id}")).await
    }

    pub async fn history(&self, token: &str, id: &str) -> reqwest::Response {
        self.get(token, &format!("/api/v1/complaints/{id}/history"))
            .await
    }

    /// `POST /complaints/{id}/actions/{action}`.
    pub async fn act(&self, token: &str, id: &str, action: &str, body: Value) -> reqwest::Response {
        self.post(
            token,
            &format!("/api/v1/complaints/{id}/actions/{action}"),
            &body,
        )
        .await
    }

    /// An action that must succeed; the updated case.
    pub async fn acted(&self, token: &str, id: &str, action: &str, body: Value) -> Value {
        let resp = self.act(token, id, action, body).await;
        let status = resp.status();
        let text = resp.text().await.unwrap_or_default();
        assert_eq!(status, 200, "{action} should succeed: {text}");
        serde_json::from_str(&text).expect("json")
    }

    pub fn admin(&self) -> String {
        self.token(Role::Admin)
    }

    /// Publishes an event of another service to the test exchange, as its relay would.
    pub async fn publish<P: EventPayload>(&self, source: &str, subject: Uuid, payload: &P) {
        let event = kuaidi_shared::testing::relayed(source, subject, payload, self.clock.now());
        publish(&self.env.amqp, &event).await;
    }

    /// Makes `customer` (owned by `owner`, if any) a key account, as customers announces it,
    /// and waits until the service knows it.
    pub async fn key_account(&self, customer: Uuid, owner: Option<Uuid>) {
        let tier = CustomerTierChangedV1 {
            customer_id: customer,
            merchant_id: None,
            owner_id: owner,
            from: Some("ordinary".into()),
            to: "key".into(),
            spend_12m: Money {
                amount: "900000.00".into(),
                currency: "CNY".into(),
            },
            changed_at: time("2026-11-01T00:00:00Z"),
        };
        self.publish("customers", customer, &tier).await;
        self.until_db(
            "the key account",
            format!(
                "SELECT count(*) AS n FROM customer_projection \
                 WHERE customer_id = '{customer}' AND tier = 'key'"
            ),
        )
        .await;
    }

    /// Announces `customer`'s erasure (no phones or emails), as customers does.
    pub async fn erased(&self, customer: Uuid) {
        let erased = CustomerErasedV1 {
            customer_id: customer,
            phone_hashes: vec![],
            email_hashes: vec![],
            erased_at: time("2026-11-21T08:00:00Z"),
        };
        self.publish("customers", customer, &erased).await;
    }

    /// Waits until `sql` (a `SELECT ... AS n` counting rows) counts at least one row in the
    /// service's database.
    pub async fn until_db(&self, what: &str, sql: String) {
        self.until_db_within(Duration::from_secs(10), what, sql)
            .await
    }

    /// [`Self::until_db`] with its own deadline, for bulk work on a machine that runs the
    /// whole suite at once (the bulk tests prove correctness; `make bench` measures speed).
    pub async fn until_db_within(&self, deadline: Duration, what: &str, sql: String) {
        eventually(deadline, what, || {
            let (url, sql) = (self.database_url.clone(), sql.clone());
            async move {
                tokio::task::spawn_blocking(move || {
                    use diesel::RunQueryDsl;
                    #[derive(diesel::QueryableByName)]
                    struct N {
                        #[diesel(sql_type = diesel::sql_types::BigInt)]
                        n: i64,
                    }
                    let mut conn = PgConnection::establish(&url).expect("test database");
                    let n: N = diesel::sql_query(sql).get_result(&mut conn).expect("query");
                    (n.n > 0).then_some(())
                })
                .await
                .expect("probe ran")
            }
        })
        .await;
    }

    /// Runs SQL on the service's database (to prove what the database itself refuses).
    pub fn execute(&self, sql: &str) -> diesel::QueryResult<usize> {
        use diesel::RunQueryDsl;
        let mut conn = PgConnection::establish(&self.database_url).expect("test database");
        diesel::sql_query(sql).execute(&mut conn)
    }

    /// Publishes `shipment.created` and waits until the service's projection holds it.
    pub async fn shipment_created(&self, shipment: &ShipmentCreatedV1) {
        self.publish("shipments", shipment.shipment_id, shipment)
            .await;
        self.until_db(
            "the shipment in the projection",
            format!(
                "SELECT count(*) AS n FROM shipment_projection WHERE tracking_number = '{}'",
                shipment.tracking_number
            ),
        )
        .await;
    }
}

pub fn time(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s)
        .expect("RFC 3339")
        .with_timezone(&Utc)
}

/// A shipment of `merchant_id` sent by `customer_id` from 上海 to 北京.
pub fn shipment(tracking_number: &str, merchant_id: Uuid, customer_id: Uuid) -> ShipmentCreatedV1 {
    ShipmentCreatedV1 {
        shipment_id: Uuid::now_v7(),
        tracking_number: tracking_number.into(),
        merchant_id: Some(merchant_id),
        shipper_customer_id: Some(customer_id),
        service_level: "express".into(),
        origin: PlaceV1 {
            city: "上海".into(),
            province: None,
            hub_code: Some("SHA01".into()),
        },
        destination: PlaceV1 {
            city: "北京".into(),
            province: None,
            hub_code: Some("PEK02".into()),
        },
        weight_kg: 1.0,
        freight: Money {
            amount: "15.00".into(),
            currency: "CNY".into(),
        },
        declared_value: None,
        cod_amount: None,
        promised_at: None,
        created_at: time("2026-11-20T08:00:00Z"),
        sequence: 1,
        recipient_phone_hash: None,
    }
}

/// `customer.merged`: `duplicate` into `survivor`.
pub fn merged(survivor: Uuid, duplicate: Uuid) -> CustomerMergedV1 {
    CustomerMergedV1 {
        merge_id: Uuid::now_v7(),
        survivor_id: survivor,
        duplicate_id: duplicate,
        merged_at: time("2026-11-21T08:00:00Z"),
    }
}

/// A valid intake body; tests override fields.
pub fn complaint(category: &str) -> Value {
    json!({
        "type": "complaint",
        "channel": "phone",
        "description": "The parcel is three days late and nobody called.",
        "category": category,
    })
}

impl Desk {
    /// A token of `role` for the user `sub` (e.g. to ask for `assignee=me`).
    pub fn user(&self, role: Role, sub: Uuid) -> String {
        kuaidi_shared::testing::user_token(&self.env.key, role, sub)
    }

    /// Takes a new case through triage (with a reply), assignment, investigation, a proposal
    /// and its approval to `resolving`.
    pub async fn to_resolving(&self, id: &str) -> Value {
        self.acted(
            &self.admin(),
            id,
            "triage",
            json!({"category": "delay", "reasonable": true,
            "note": "scans confirm three days late", "reply": "We are looking into it."}),
        )
        .await;
        self.approved(
            id,
            json!({"measures": ["apology", "compensation"],
            "plan": "refund the freight", "compensation": {"amount": "15.00", "currency": "CNY"}}),
        )
        .await
    }

    /// Takes a triaged (or reopened) case through assignment to operations, investigation,
    /// `proposal` and its approval by a supervisor to `resolving`; the case then.
    pub async fn approved(&self, id: &str, proposal: Value) -> Value {
        let admin = self.admin();
        let assignee = json!({"assignee_id": Uuid::now_v7(), "department": "operations"});
        self.acted(&admin, id, "assign", assignee).await;
        self.acted(&admin, id, "investigate", json!({})).await;
        self.acted(&admin, id, "propose", proposal).await;
        self.acted(&self.token(Role::Supervisor), id, "approve", json!({}))
            .await
    }

    /// Triages a case as a reasonable complaint of `category`; the case then.
    pub async fn triaged(&self, id: &str, category: &str) -> Value {
        let triage = json!({"category": category, "reasonable": true});
        self.acted(&self.admin(), id, "triage", triage).await
    }

    /// Resolves a case in `resolving` as refunded; the case then, awaiting feedback.
    pub async fn refunded(&self, id: &str) -> Value {
        let resolution = json!({"resolution": "refunded"});
        self.acted(&self.admin(), id, "resolve", resolution).await
    }

    /// A case `body` opened by `token`, taken to `awaiting_feedback`; its id and the survey link
    /// its resolution issued.
    pub async fn awaiting_feedback(&self, token: &str, body: &Value) -> (String, String) {
        let case = self.created(token, body).await;
        let id = case["id"].as_str().expect("id").to_owned();
        self.to_resolving(&id).await;
        let done = self.refunded(&id).await;
        (id, done["survey_link"].as_str().expect("link").to_owned())
    }
}

/// The body of a response as JSON after checking its status.
pub async fn json_of(resp: reqwest::Response, status: u16) -> Value {
    kuaidi_shared::testing::expect_json(resp, status).await
}

/// Collects what the tap receives until every one of `types` was seen; returns the events of
/// those types in the order received (others are dropped).
pub async fn events_until(
    tap: &kuaidi_shared::testing::EventTap,
    types: &[&str],
) -> Vec<CloudEvent> {
    let seen = std::sync::Mutex::new(Vec::<CloudEvent>::new());
    eventually(
        Duration::from_secs(10),
        &format!("events {types:?}"),
        || async {
            while let Some(e) = tap.try_next().await {
                if types.contains(&e.type_.as_str()) {
                    seen.lock().expect("lock").push(e);
                }
            }
            let got = seen.lock().expect("lock");
            types
                .iter()
                .all(|t| got.iter().any(|e| e.type_ == *t))
                .then_some(())
        },
    )
    .await;
    seen.into_inner().expect("lock")
}
