//! The whole suite for end-to-end tests: the four services and the gateway started in-process
//! on port 0, each with its own fresh database, sharing one broker namespace — the same
//! `build` functions the binaries run.

pub mod browser;
pub mod processes;

use kuaidi_gateway::configuration::GatewaySettings;
use kuaidi_shared::app::RunningApp;
use kuaidi_shared::auth::Role;
use kuaidi_shared::clock::Clock;
use kuaidi_shared::settings::ServiceSettings;
use kuaidi_shared::testing::{eventually, expect_json, fresh_database, migrated_database, TestEnv};
use serde_json::{json, Value};
use uuid::Uuid;

pub const ADMIN_PASSWORD: &str = "e2e-admin-password";

/// A merchant's customer file and the app's customer token for her phone ([`Suite::sender`]).
pub struct Sender {
    pub merchant_id: Uuid,
    /// The merchant's token.
    pub merchant: String,
    /// Her customer file.
    pub file: Value,
    /// Her customer token, as the app minted it.
    pub token: String,
}

/// Five running processes' worth of Kuaidi.
pub struct Suite {
    pub env: TestEnv,
    /// The services' clock: the system clock, or a manual one from [`Suite::start_with_clock`].
    pub clock: Clock,
    pub gateway: RunningApp,
    pub customers: Option<RunningApp>,
    pub shipments: Option<RunningApp>,
    pub complaints: Option<RunningApp>,
    pub analytics: Option<RunningApp>,
    /// Each process's database, by name (`gateway`, `customers`, ...), for tests that look
    /// at what is stored (e.g. that an erased customer's PII is nowhere).
    pub databases: Vec<(&'static str, String)>,
}

impl Suite {
    pub async fn start() -> Self {
        Self::start_with_clock(Clock::system()).await
    }

    /// The suite with its four services on `clock`; with a manual clock every background job
    /// ticks each 100 ms, so a test moves the clock and then polls for the effect.
    pub async fn start_with_clock(clock: Clock) -> Self {
        let env = TestEnv::new();
        let databases = std::sync::Mutex::new(Vec::new());
        let settings = |label: &'static str, migrations| {
            let url = migrated_database(label, migrations);
            databases
                .lock()
                .expect("databases")
                .push((label, url.clone()));
            let mut s: ServiceSettings = env.settings_with(url);
            if clock.is_manual() {
                s.jobs.tick_ms = Some(100);
            }
            s.clock = clock.clone();
            s
        };
        let customers =
            kuaidi_customers::build(settings("customers", kuaidi_customers::startup::MIGRATIONS))
                .await
                .expect("customers")
                .spawn();
        let shipments =
            kuaidi_shipments::build(settings("shipments", kuaidi_shipments::startup::MIGRATIONS))
                .await
                .expect("shipments")
                .spawn();
        let complaints = kuaidi_complaints::build(settings(
            "complaints",
            kuaidi_complaints::startup::MIGRATIONS,
        ))
        .await
        .expect("complaints")
        .spawn();
        let analytics =
            kuaidi_analytics::build(settings("analytics", kuaidi_analytics::startup::MIGRATIONS))
                .await
                .expect("analytics")
                .spawn();
        let mut s: GatewaySettings =
            kuaidi_gateway::configuration::defaults().expect("gateway defaults");
        s.http.port = 0;
        s.http.workers = Some(2);
        let gateway_db = fresh_database("gateway");
        databases
            .lock()
            .expect("databases")
            .push(("gateway", gateway_db.clone()));
        s.database_url = gateway_db.into();
        s.database_pool_size = 4;
        s.bootstrap_admin_password = Some(ADMIN_PASSWORD.to_owned().into());
        s.jwt.signing_key = Some(env.key.seed_b64().into());
        s.jwt.signing_kid = Some(env.key.kid.clone());
        s.amqp = env.amqp.clone();
        s.services.customers = customers.url();
        s.services.shipments = shipments.url();
        s.services.complaints = complaints.url();
        s.services.analytics = analytics.url();
        let gateway = kuaidi_gateway::build(s).await.expect("gateway").spawn();
        Self {
            env,
            clock,
            gateway,
            customers: Some(customers),
            shipments: Some(shipments),
            complaints: Some(complaints),
            analytics: Some(analytics),
            databases: databases.into_inner().expect("databases"),
        }
    }

    /// The suite on a manual clock standing at noon UTC of the current day: what the services
    /// date ("today" in KPIs) cannot roll over at midnight while a test runs. Tokens still
    /// expire on the system clock.
    pub async fn start_at_noon() -> Self {
        let noon = Clock::system()
            .now()
            .date_naive()
            .and_hms_opt(12, 0, 0)
            .expect("noon")
            .and_utc();
        Self::start_with_clock(Clock::manual(noon)).await
    }

    /// The services' current day.
    pub fn today(&self) -> chrono::NaiveDate {
        self.clock.now().date_naive()
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.gateway.url())
    }

    /// Logs in as the bootstrap admin through the gateway.
    pub async fn admin_token(&self) -> String {
        self.access_token("admin", ADMIN_PASSWORD).await
    }

    /// An individual's customer file (`name`, `phone`) of the merchant `merchant_id`, created
    /// by `admin` through the gateway.
    pub async fn customer_of(
        &self,
        admin: &str,
        merchant_id: Uuid,
        name: &str,
        phone: &str,
    ) -> Value {
        let file = json!({"kind": "individual", "name": name, "phones": [phone],
            "merchant_id": merchant_id});
        let resp = self.post(admin, "/api/v1/customers", &file).await;
        expect_json(resp, 201).await
    }

    /// Creates a shipment as `token` through the gateway, expecting `201`: the shipment.
    pub async fn ship(&self, token: &str, body: &Value) -> Value {
        expect_json(self.post(token, "/api/v1/shipments", body).await, 201).await
    }

    /// A merchant's customer as the mobile app knows her: a new merchant, its customer file
    /// for 陈静 (phone 13812345678, created by `admin`), and the customer token the app mints
    /// for her phone.
    pub async fn sender(&self, admin: &str) -> Sender {
        let merchant_id = Uuid::now_v7();
        let file = self
            .customer_of(admin, merchant_id, "陈静", "13812345678")
            .await;
        let app = self.app_token(admin).await;
        Sender {
            merchant_id,
            merchant: self.env.token(Role::Merchant, Some(merchant_id)),
            file,
            token: self.customer_token(&app, "+86 138 1234 5678").await,
        }
    }

    /// Signs in as `username` through the gateway: the access token.
    pub async fn access_token(&self, username: &str, password: &str) -> String {
        let base = self.gateway.url();
        kuaidi_gateway::testing::access_token(&self.env.http, &base, username, password).await
    }

    /// The mobile app's token: a system client of role `app` (created by `admin`) signed in
    /// with OAuth2 client credentials.
    pub async fn app_token(&self, admin: &str) -> String {
        let body = json!({"name": "Mobile app", "role": "app"});
        let client = expect_json(self.post(admin, "/api/v1/clients", &body).await, 201).await;
        let form = [
            ("grant_type", "client_credentials"),
            (
                "client_id",
                client["client_id"].as_str().expect("client_id"),
            ),
            (
                "client_secret",
                client["client_secret"].as_str().expect("secret"),
            ),
        ];
        let sent = self
            .env
            .http
            .post(self.url("/api/v1/auth/token"))
            .form(&form);
        let granted = expect_json(sent.send().await.expect("sent"), 200).await;
        granted["access_token"]
            .as_str()
            .expect("app token")
            .to_owned()
    }

    /// The token the app mints (`app`) for a person whose `phone` it verified.
    pub async fn customer_token(&self, app: &str, phone: &str) -> String {
        let body = json!({"phone": phone});
        let minted = self.post(app, "/api/v1/auth/customer-token", &body).await;
        expect_json(minted, 200).await["access_token"]
            .as_str()
            .expect("customer token")
            .to_owned()
    }

    pub async fn post(&self, token: &str, path: &str, body: &Value) -> reqwest::Response {
        self.env
            .http
            .post(self.url(path))
            .bearer_auth(token)
            .json(body)
            .send()
            .await
            .expect("request sent")
    }

    /// Sends `request` until it is answered `status` — once a projection it depends on has
    /// caught up with the events (`what` names it) — and returns the answer's JSON.
    pub async fn once_known<F, Fut>(&self, what: &str, status: u16, request: F) -> Value
    where
        F: Fn() -> Fut,
        Fut: std::future::Future<Output = reqwest::Response>,
    {
        let answered = eventually(std::time::Duration::from_secs(15), what, || async {
            let resp = request().await;
            (resp.status() == status).then_some(resp)
        })
        .await;
        expect_json(answered, status).await
    }

    pub async fn get(&self, token: &str, path: &str) -> reqwest::Response {
        self.env
            .http
            .get(self.url(path))
            .bearer_auth(token)
            .send()
            .await
            .expect("request sent")
    }

    pub async fn stop(self) {
        self.gateway.stop().await;
        for app in [
            self.customers,
            self.shipments,
            self.complaints,
            self.analytics,
        ]
        .into_iter()
        .flatten()
        {
            app.stop().await;
        }
    }
}
