//! Test support (feature `testing`): a fresh PostgreSQL database per test, a broker namespace
//! per test (exchange and queue prefix), settings for a service under test, token minting, and
//! a TCP proxy in front of RabbitMQ that a test can cut to simulate the broker going away, and
//! [`TestApp`], one service running for one test; [`stub_server`], a third party's HTTP endpoint.

use std::time::Duration;
use uuid::Uuid;

use crate::auth::{Claims, Role, SigningKey};
use crate::settings::{AmqpSettings, AuthSettings, HttpSettings, ServiceSettings, StaticKey};

mod app;
mod broker;
mod database;
mod fixtures;
mod stub;

pub use app::{
    body_json, expect_json, expect_not_allowed, expect_problem, expect_refused_fields,
    refused_fields, send_json, strings, Build, TestApp,
};
pub use broker::{bind_tap, connect, publish, publish_batch, relayed, BrokerProxy, EventTap};
pub use database::{amqp_server, fresh_database, migrated_database, pg_server};
pub use fixtures::customer_created;
pub use stub::stub_server;

/// Broker settings confined to one test: its own exchange and queue names, fast retries, and
/// queues that expire after the test.
pub fn amqp_settings(namespace: &str) -> AmqpSettings {
    AmqpSettings {
        url: amqp_server().into(),
        exchange: format!("kt.{namespace}.events"),
        queue_prefix: format!("kt.{namespace}."),
        max_attempts: 3,
        retry_base_ms: 50,
        prefetch: 32,
        exchange_auto_delete: true,
        queue_expires_ms: Some(30_000),
        relay_poll_ms: 20,
        relay_lease_ms: 2_000,
        // A service tested alone needs only its own queues; the whole-suite tests (the real
        // processes) keep the deployment default.
        declare_topology: false,
    }
}

/// A short random namespace for [`amqp_settings`].
pub fn namespace() -> String {
    Uuid::new_v4().simple().to_string()[..10].to_owned()
}

/// Settings for a backend service under test: port 0, a fresh database, the test broker
/// namespace, and `key` as the only trusted token key.
pub fn service_settings(label: &str, amqp: &AmqpSettings, key: &SigningKey) -> ServiceSettings {
    service_settings_on(fresh_database(label), amqp, key)
}

/// Settings for a backend service under test on `database_url`.
pub fn service_settings_on(
    database_url: String,
    amqp: &AmqpSettings,
    key: &SigningKey,
) -> ServiceSettings {
    let defaults: ServiceSettings = crate::settings::load(
        "UNUSED_IN_TESTS",
        &[
            crate::settings::COMMON_DEFAULTS,
            crate::settings::PII_DEFAULTS,
            "database_url = \"unused\"\n[http]\nhost = \"127.0.0.1\"\nport = 0\n",
        ],
    )
    .unwrap_or_else(|e| panic!("default settings: {e}"));
    ServiceSettings {
        http: HttpSettings {
            host: "127.0.0.1".into(),
            port: 0,
            workers: Some(2),
            metrics_port: Some(0),
            trusted_proxies: Vec::new(),
        },
        database_url: database_url.into(),
        database_pool_size: 4,
        amqp: amqp.clone(),
        auth: auth_settings(key),
        pii: defaults.pii,
        jobs: Default::default(),
        // Tests run with the built-in development PII keys.
        dev_mode: true,
        clock: Default::default(),
    }
}

/// Verification settings trusting exactly `key`.
pub fn auth_settings(key: &SigningKey) -> AuthSettings {
    AuthSettings {
        issuer: "kuaidi-gateway".into(),
        audience: "kuaidi".into(),
        jwks_url: None,
        public_keys: vec![StaticKey {
            kid: key.kid.clone(),
            x: key.public_x(),
        }],
    }
}

/// A valid 15-minute token for `role`.
pub fn token(key: &SigningKey, role: Role, merchant_id: Option<Uuid>) -> String {
    sign(key, role, merchant_id, None)
}

/// A valid 15-minute `customer` token for the person whose normalised phone has this blind
/// index (what `POST /api/v1/auth/customer-token` issues to the mobile app).
pub fn customer_token(key: &SigningKey, phone_hash: &str) -> String {
    sign(key, Role::Customer, None, Some(phone_hash.to_owned()))
}

/// The claims of a valid 15-minute token of `role` for `sub`, as the gateway issues them (a
/// test sets the few fields it needs: `merchant_id`, `phone_hash`, a longer `exp`).
pub fn claims(role: Role, sub: &str) -> Claims {
    let now = crate::clock::Clock::system().now().timestamp();
    Claims {
        sub: sub.into(),
        role,
        scopes: vec![],
        merchant_id: None,
        phone_hash: None,
        iss: "kuaidi-gateway".into(),
        aud: "kuaidi".into(),
        iat: now,
        nbf: None,
        exp: now + 900,
        jti: Uuid::new_v4().to_string(),
    }
}

/// A valid 15-minute token of `role` for the user `sub` (e.g. to be `assignee=me`).
pub fn user_token(key: &SigningKey, role: Role, sub: Uuid) -> String {
    signed(key, &claims(role, &sub.to_string()))
}

/// `claims` signed with `key`.
pub fn signed(key: &SigningKey, claims: &Claims) -> String {
    key.sign(claims).unwrap_or_else(|e| panic!("signing: {e}"))
}

fn sign(
    key: &SigningKey,
    role: Role,
    merchant_id: Option<Uuid>,
    phone_hash: Option<String>,
) -> String {
    signed(
        key,
        &Claims {
            merchant_id,
            phone_hash,
            ..claims(role, &Uuid::now_v7().to_string())
        },
    )
}

/// Polls `check` every 50 ms until it returns `Some`, or panics with `what` after `timeout`
/// times the patience of the machine ([`patience`]): a deadline only bounds how long a broken
/// behaviour takes to fail, so a loaded CI machine gets more of it.
pub async fn eventually<T, F, Fut>(timeout: Duration, what: &str, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let timeout = timeout * patience();
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        if let Some(v) = check().await {
            return v;
        }
        if tokio::time::Instant::now() > deadline {
            panic!("timed out after {timeout:?} waiting for: {what}");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Polls a JSON `GET` — `get()` sends a fresh one each time — like [`eventually`] until `pick`
/// accepts the answer's body (an answer that is not JSON counts as not yet).
pub async fn poll_json<T, G, Fut>(
    timeout: Duration,
    what: &str,
    get: G,
    pick: impl Fn(serde_json::Value) -> Option<T>,
) -> T
where
    G: Fn() -> Fut,
    Fut: std::future::Future<Output = reqwest::Response>,
{
    eventually(timeout, what, || async {
        pick(get().await.json().await.ok()?)
    })
    .await
}

/// What the services of one test share: the token key, the broker namespace, an HTTP client.
pub struct TestEnv {
    pub key: SigningKey,
    pub amqp: AmqpSettings,
    pub http: reqwest::Client,
}

impl Default for TestEnv {
    fn default() -> Self {
        Self::new()
    }
}

impl TestEnv {
    pub fn new() -> Self {
        crate::telemetry::init_for_tests();
        Self {
            key: SigningKey::generate(),
            amqp: amqp_settings(&namespace()),
            // Idle connections are dropped before the servers' 5 s keep-alive closes them, so a
            // request never races a server closing the connection it reuses.
            http: reqwest::Client::builder()
                .pool_idle_timeout(Duration::from_secs(2))
                .build()
                .unwrap_or_else(|e| panic!("http client: {e}")),
        }
    }

    /// Settings for a backend service of this test (fresh database).
    pub fn settings(&self, label: &str) -> ServiceSettings {
        service_settings(label, &self.amqp, &self.key)
    }

    /// Settings for a backend service of this test on the given database.
    pub fn settings_with(&self, database_url: String) -> ServiceSettings {
        let mut s = service_settings_on(database_url, &self.amqp, &self.key);
        s.database_pool_size = 4;
        s
    }

    pub fn token(&self, role: Role, merchant_id: Option<Uuid>) -> String {
        token(&self.key, role, merchant_id)
    }

    /// A `customer` token for the person with this phone blind index.
    pub fn customer_token(&self, phone_hash: &str) -> String {
        customer_token(&self.key, phone_hash)
    }

    /// A queue bound to every event of this test's exchange, to observe what is published.
    pub async fn tap(&self) -> EventTap {
        EventTap::bind(&self.amqp).await
    }
}

/// The instant an RFC 3339 text names (test data written as text); panics on a typo.
pub fn time(s: &str) -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::parse_from_rfc3339(s)
        .unwrap_or_else(|e| panic!("{s}: {e}"))
        .to_utc()
}

/// How many times longer than written the waits of tests may take: `KUAIDI_TEST_PATIENCE`
/// (default 3; the whole suite shares two cores on CI, where one test's 10 s wait has been seen
/// to need 12).
pub fn patience() -> u32 {
    std::env::var("KUAIDI_TEST_PATIENCE")
        .ok()
        .and_then(|v| v.parse().ok())
        .filter(|n| *n >= 1)
        .unwrap_or(3)
}
