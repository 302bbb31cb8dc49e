//! Test support (feature `testing`): a fresh PostgreSQL database per test, a broker namespace
//! per test (exchange and queue prefix), settings for a service under test, token minting, and
//! a TCP proxy in front of RabbitMQ that a test can cut to simulate the broker going away.

use chrono::Utc;
use diesel::{Connection, PgConnection, RunQueryDsl};
use std::sync::Arc;
use std::time::Duration;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Mutex;
use tokio::task::JoinHandle;
use uuid::Uuid;

use crate::auth::{Claims, Role, SigningKey};
use crate::settings::{AmqpSettings, AuthSettings, HttpSettings, ServiceSettings, StaticKey};

/// Server part of the test PostgreSQL URL (`KUAIDI_TEST_PG`, default the local trust setup).
pub fn pg_server() -> String {
    std::env::var("KUAIDI_TEST_PG").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432".into())
}

/// The test broker (`KUAIDI_TEST_AMQP`, default local guest).
pub fn amqp_server() -> String {
    std::env::var("KUAIDI_TEST_AMQP")
        .unwrap_or_else(|_| "amqp://guest:guest@127.0.0.1:5672/%2f".into())
}

/// Creates an empty database `kt_<label>_<random>` and returns its URL. `make test` drops
/// leftovers of earlier runs.
pub fn fresh_database(label: &str) -> String {
    let name = format!("kt_{label}_{}", &Uuid::new_v4().simple().to_string()[..12]);
    let server = pg_server();
    let mut admin = PgConnection::establish(&format!("{server}/postgres"))
        .unwrap_or_else(|e| panic!("test PostgreSQL at {server} unreachable: {e}"));
    diesel::sql_query(format!("CREATE DATABASE \"{name}\""))
        .execute(&mut admin)
        .unwrap_or_else(|e| panic!("CREATE DATABASE {name}: {e}"));
    format!("{server}/{name}")
}

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
        queue_expires_ms: Some(120_000),
        relay_poll_ms: 20,
        relay_lease_ms: 2_000,
    }
}

/// A short random namespace for [`amqp_settings`].
pub fn namespace() -> String {
    Uuid::new_v4().simple().to_string()[..10].to_owned()
}

/// Settings for a backend service under test: port 0, a fresh database, the test broker
/// namespace, and `key` as the only trusted token key.
pub fn service_settings(label: &str, amqp: &AmqpSettings, key: &SigningKey) -> ServiceSettings {
    let defaults: ServiceSettings = crate::settings::load(
        "UNUSED_IN_TESTS",
        &[
            crate::settings::COMMON_DEFAULTS,
            "database_url = \"unused\"\n[http]\nhost = \"127.0.0.1\"\nport = 0\n",
        ],
    )
    .unwrap_or_else(|e| panic!("default settings: {e}"));
    ServiceSettings {
        http: HttpSettings {
            host: "127.0.0.1".into(),
            port: 0,
            workers: Some(2),
        },
        database_url: fresh_database(label).into(),
        database_pool_size: 4,
        amqp: amqp.clone(),
        auth: auth_settings(key),
        pii: defaults.pii,
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
    let now = Utc::now().timestamp();
    key.sign(&Claims {
        sub: Uuid::now_v7().to_string(),
        role,
        scopes: vec![],
        merchant_id,
        phone_hash: None,
        iss: "kuaidi-gateway".into(),
        aud: "kuaidi".into(),
        iat: now,
        nbf: None,
        exp: now + 900,
        jti: Uuid::new_v4().to_string(),
    })
    .unwrap_or_else(|e| panic!("signing: {e}"))
}

/// Polls `check` every 50 ms until it returns `Some`, or panics with `what` after `timeout`.
pub async fn eventually<T, F, Fut>(timeout: Duration, what: &str, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
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

/// A TCP proxy to the broker. `cut()` drops every connection and stops listening, as a broker
/// that went away; `restore()` listens again on the same port.
pub struct BrokerProxy {
    port: u16,
    upstream: String,
    state: Arc<Mutex<Option<JoinHandle<()>>>>,
}

impl BrokerProxy {
    pub async fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let port = listener
            .local_addr()
            .unwrap_or_else(|e| panic!("{e}"))
            .port();
        let proxy = Self {
            port,
            upstream: "127.0.0.1:5672".into(),
            state: Arc::new(Mutex::new(None)),
        };
        *proxy.state.lock().await =
            Some(tokio::spawn(accept_loop(listener, proxy.upstream.clone())));
        proxy
    }

    /// An AMQP URL through the proxy.
    pub fn url(&self) -> String {
        format!("amqp://guest:guest@127.0.0.1:{}/%2f", self.port)
    }

    pub async fn cut(&self) {
        if let Some(task) = self.state.lock().await.take() {
            task.abort();
            let _ = task.await;
        }
    }

    pub async fn restore(&self) {
        let mut state = self.state.lock().await;
        if state.is_none() {
            let listener = TcpListener::bind(("127.0.0.1", self.port))
                .await
                .unwrap_or_else(|e| panic!("rebinding the broker proxy: {e}"));
            *state = Some(tokio::spawn(accept_loop(listener, self.upstream.clone())));
        }
    }
}

/// Accepts and pipes connections; aborting this task drops the listener and (through the
/// JoinSet) every piped connection.
async fn accept_loop(listener: TcpListener, upstream: String) {
    let mut pipes = tokio::task::JoinSet::new();
    while let Ok((mut client, _)) = listener.accept().await {
        let upstream = upstream.clone();
        pipes.spawn(async move {
            if let Ok(mut server) = TcpStream::connect(&upstream).await {
                let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
            }
        });
    }
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
            http: reqwest::Client::new(),
        }
    }

    /// Settings for a backend service of this test (fresh database).
    pub fn settings(&self, label: &str) -> ServiceSettings {
        service_settings(label, &self.amqp, &self.key)
    }

    pub fn token(&self, role: Role, merchant_id: Option<Uuid>) -> String {
        token(&self.key, role, merchant_id)
    }

    /// A queue bound to every event of this test's exchange, to observe what is published.
    pub async fn tap(&self) -> EventTap {
        EventTap::bind(&self.amqp).await
    }
}

/// A private, exclusive queue that receives every event published on a test exchange.
pub struct EventTap {
    _conn: lapin::Connection,
    channel: lapin::Channel,
    queue: String,
}

impl EventTap {
    pub async fn bind(amqp: &AmqpSettings) -> Self {
        use lapin::options::{QueueBindOptions, QueueDeclareOptions};
        use secrecy::ExposeSecret;
        let conn = lapin::Connection::connect(amqp.url.expose_secret(), Default::default())
            .await
            .unwrap_or_else(|e| panic!("tap connect: {e}"));
        let channel = conn
            .create_channel()
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        crate::events::topology::declare_exchanges(&channel, amqp)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let queue = format!("{}tap.{}", amqp.queue_prefix, namespace());
        channel
            .queue_declare(
                queue.as_str().into(),
                QueueDeclareOptions {
                    exclusive: true,
                    auto_delete: true,
                    ..Default::default()
                },
                Default::default(),
            )
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        channel
            .queue_bind(
                queue.as_str().into(),
                amqp.exchange.as_str().into(),
                "#".into(),
                QueueBindOptions::default(),
                Default::default(),
            )
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        Self {
            _conn: conn,
            channel,
            queue,
        }
    }

    /// The next event already waiting, if any.
    pub async fn try_next(&self) -> Option<crate::events::CloudEvent> {
        use lapin::options::BasicGetOptions;
        let msg = self
            .channel
            .basic_get(self.queue.as_str().into(), BasicGetOptions { no_ack: true })
            .await
            .ok()??;
        serde_json::from_slice(&msg.delivery.data).ok()
    }

    /// Waits for the next event of `event_type` (others are skipped), up to `timeout`.
    pub async fn next_of_type(
        &self,
        event_type: &str,
        timeout: Duration,
    ) -> crate::events::CloudEvent {
        use lapin::options::BasicGetOptions;
        eventually(timeout, &format!("a {event_type} event"), || async {
            let msg = self
                .channel
                .basic_get(self.queue.as_str().into(), BasicGetOptions { no_ack: true })
                .await
                .ok()??;
            let event: crate::events::CloudEvent =
                serde_json::from_slice(&msg.delivery.data).ok()?;
            (event.type_ == event_type).then_some(event)
        })
        .await
    }
}

/// Publishes `event` to the test exchange as a producer's relay would (persistent, confirmed).
pub async fn publish(amqp: &AmqpSettings, event: &crate::events::CloudEvent) {
    use lapin::options::{BasicPublishOptions, ConfirmSelectOptions};
    use secrecy::ExposeSecret;
    let conn = lapin::Connection::connect(amqp.url.expose_secret(), Default::default())
        .await
        .unwrap_or_else(|e| panic!("publish connect: {e}"));
    let ch = conn
        .create_channel()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    ch.confirm_select(ConfirmSelectOptions::default())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    crate::events::topology::declare_exchanges(&ch, amqp)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let body = serde_json::to_vec(event).unwrap_or_else(|e| panic!("{e}"));
    ch.basic_publish(
        amqp.exchange.as_str().into(),
        event.type_.as_str().into(),
        BasicPublishOptions::default(),
        &body,
        lapin::BasicProperties::default()
            .with_delivery_mode(2)
            .with_message_id(event.id.to_string().into()),
    )
    .await
    .unwrap_or_else(|e| panic!("{e}"))
    .await
    .unwrap_or_else(|e| panic!("{e}"));
    let _ = conn.close(200, "done".into()).await;
}
