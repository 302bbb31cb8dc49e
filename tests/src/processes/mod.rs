//! The suite as real processes (SPEC §10, issue 12): the five debug binaries run as child
//! processes, each on its own fresh database, their logs captured to files; RabbitMQ and
//! PostgreSQL reached through TCP proxies the test can cut. Used by the fault tests and the
//! secrets-in-logs test, which need what in-process services cannot give: `kill -9`, a real
//! start-up, and each process's whole log.

mod child;
mod proxy;

pub use child::Proc;
pub use proxy::TcpProxy;

use child::{free_port, tail};
use serde_json::{json, Value};
use std::path::PathBuf;
use std::time::Duration;
use uuid::Uuid;

use kuaidi_shared::testing::{amqp_server, fresh_database, pg_server};

pub const ADMIN_PASSWORD: &str = "fault-admin-password-4b7e";

/// The four backend services.
pub const SERVICES: [&str; 4] = ["customers", "shipments", "complaints", "analytics"];
/// Every process.
pub const PROCESSES: [&str; 5] = [
    "gateway",
    "customers",
    "shipments",
    "complaints",
    "analytics",
];

/// `host:port` of a `scheme://user@host:port/...` URL.
fn authority(url: &str) -> String {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let host = rest.split('/').next().unwrap_or(rest);
    host.rsplit_once('@').map_or(host, |(_, h)| h).to_owned()
}

/// How a [`System`] starts.
#[derive(Default)]
pub struct Options {
    /// Every process reaches PostgreSQL through [`System::pg`] (otherwise directly).
    pub pg_proxy: bool,
    /// The broker proxy starts cut (RabbitMQ unreachable at start-up).
    pub broker_down: bool,
    /// `RUST_LOG` of every process (default `info`).
    pub rust_log: Option<String>,
}

/// The five processes, their proxies and an HTTP client.
pub struct System {
    pub gateway: Proc,
    pub customers: Proc,
    pub shipments: Proc,
    pub complaints: Proc,
    pub analytics: Proc,
    pub broker: TcpProxy,
    pub pg: Option<TcpProxy>,
    /// The exchange and queue-name prefix of this system on the shared broker.
    pub namespace: String,
    pub logs: PathBuf,
    pub http: reqwest::Client,
}

impl System {
    /// Starts the five processes and waits until each answers `/healthz`.
    pub async fn start(opts: Options) -> Self {
        let broker = TcpProxy::start(authority(&amqp_server())).await;
        if opts.broker_down {
            broker.cut().await;
        }
        let pg = if opts.pg_proxy {
            Some(TcpProxy::start(authority(&pg_server())).await)
        } else {
            None
        };
        let namespace = Uuid::new_v4().simple().to_string()[..10].to_owned();
        let logs = std::env::temp_dir().join(format!("kuaidi-processes-{namespace}"));
        std::fs::create_dir_all(&logs).expect("log directory");
        let amqp_url = format!("amqp://guest:guest@127.0.0.1:{}/%2f", broker.port());
        let gateway_port = free_port();
        let rust_log = opts.rust_log.unwrap_or_else(|| "info".into());
        let proc = |name: &'static str, port: u16| {
            let database_url = fresh_database(name);
            let via = match &pg {
                Some(p) => database_url
                    .replace(&authority(&pg_server()), &format!("127.0.0.1:{}", p.port())),
                None => database_url.clone(),
            };
            let prefix = format!("KUAIDI_{}__", name.to_uppercase());
            let mut env: Vec<(String, String)> = vec![
                ("RUST_LOG".into(), rust_log.clone()),
                // Built-in development keys are refused outside development mode.
                ("KUAIDI_DEV_MODE".into(), "1".into()),
                (format!("{prefix}HTTP__METRICS_PORT"), "0".into()),
                ("KUAIDI_AMQP_URL".into(), amqp_url.clone()),
                (format!("{prefix}DATABASE_URL"), via),
                (format!("{prefix}DATABASE_POOL_SIZE"), "4".into()),
                (format!("{prefix}HTTP__PORT"), port.to_string()),
                (format!("{prefix}HTTP__WORKERS"), "2".into()),
                (
                    format!("{prefix}AMQP__EXCHANGE"),
                    format!("kt.{namespace}.events"),
                ),
                (
                    format!("{prefix}AMQP__QUEUE_PREFIX"),
                    format!("kt.{namespace}."),
                ),
                (format!("{prefix}AMQP__QUEUE_EXPIRES_MS"), "600000".into()),
                (format!("{prefix}AMQP__EXCHANGE_AUTO_DELETE"), "true".into()),
                (format!("{prefix}AMQP__RETRY_BASE_MS"), "100".into()),
                (
                    format!("{prefix}AUTH__JWKS_URL"),
                    format!("http://127.0.0.1:{gateway_port}/.well-known/jwks.json"),
                ),
            ];
            if name == "shipments" {
                env.push((
                    format!("{prefix}WEBHOOKS__ALLOW_PRIVATE_TARGETS"),
                    "true".into(),
                ));
            }
            Proc {
                name,
                port,
                database_url,
                log: logs.join(format!("{name}.log")),
                env,
                child: None,
            }
        };
        let customers = proc("customers", free_port());
        let shipments = proc("shipments", free_port());
        let complaints = proc("complaints", free_port());
        let analytics = proc("analytics", free_port());
        let mut gateway = proc("gateway", gateway_port);
        gateway.env.extend([
            (
                "KUAIDI_GATEWAY__BOOTSTRAP_ADMIN_PASSWORD".to_owned(),
                ADMIN_PASSWORD.to_owned(),
            ),
            (
                "KUAIDI_GATEWAY__RATE_LIMITS__PER_PRINCIPAL".into(),
                "0".into(),
            ),
            (
                "KUAIDI_GATEWAY__RATE_LIMITS__PUBLIC_PER_IP".into(),
                "0".into(),
            ),
            (
                "KUAIDI_GATEWAY__SERVICES__CUSTOMERS".into(),
                customers.url(""),
            ),
            (
                "KUAIDI_GATEWAY__SERVICES__SHIPMENTS".into(),
                shipments.url(""),
            ),
            (
                "KUAIDI_GATEWAY__SERVICES__COMPLAINTS".into(),
                complaints.url(""),
            ),
            (
                "KUAIDI_GATEWAY__SERVICES__ANALYTICS".into(),
                analytics.url(""),
            ),
        ]);
        let mut system = Self {
            gateway,
            customers,
            shipments,
            complaints,
            analytics,
            broker,
            pg,
            namespace,
            logs,
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(15))
                .build()
                .expect("http client"),
        };
        system.start_all().await;
        system
    }

    /// Starts every process (the gateway first: the services fetch its JWKS) and waits until
    /// each answers `/healthz`.
    pub async fn start_all(&mut self) {
        self.gateway.start();
        self.await_healthy("gateway").await;
        for name in SERVICES {
            self.proc(name).start();
        }
        for name in SERVICES {
            self.await_healthy(name).await;
        }
    }

    pub fn proc(&mut self, name: &str) -> &mut Proc {
        match name {
            "gateway" => &mut self.gateway,
            "customers" => &mut self.customers,
            "shipments" => &mut self.shipments,
            "complaints" => &mut self.complaints,
            "analytics" => &mut self.analytics,
            other => panic!("no process {other}"),
        }
    }

    /// Waits (up to `secs`) until `name` answers `/readyz` with 200.
    pub async fn await_ready(&self, name: &str, secs: u64) {
        let url = [
            &self.gateway,
            &self.customers,
            &self.shipments,
            &self.complaints,
            &self.analytics,
        ]
        .into_iter()
        .find(|p| p.name == name)
        .unwrap_or_else(|| panic!("no process {name}"))
        .url("/readyz");
        let what = format!("{name} ready");
        kuaidi_shared::testing::eventually(Duration::from_secs(secs), &what, || async {
            let r = self.http.get(&url).send().await.ok()?;
            r.status().is_success().then_some(())
        })
        .await;
    }

    /// Waits (up to 60 s times the machine's patience) until `name` answers `/healthz`; fails
    /// at once when it exited.
    pub async fn await_healthy(&mut self, name: &str) {
        let patience = kuaidi_shared::testing::patience();
        let deadline = tokio::time::Instant::now() + Duration::from_secs(60) * patience;
        loop {
            let url = self.proc(name).url("/healthz");
            if let Ok(r) = self.http.get(&url).send().await {
                if r.status().is_success() {
                    return;
                }
            }
            let p = self.proc(name);
            if p.exited() {
                panic!("{name} exited; its log:\n{}", tail(&p.log));
            }
            if tokio::time::Instant::now() > deadline {
                panic!(
                    "{name} not healthy in {}s; its log:\n{}",
                    60 * patience,
                    tail(&p.log)
                );
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// `kill -9` of `name`, then a restart; returns once it is healthy again.
    pub async fn kill_and_restart(&mut self, name: &str) {
        self.proc(name).kill9();
        self.proc(name).start();
        self.await_healthy(name).await;
    }

    /// `/readyz` of `name`: its status and body.
    pub async fn readyz(&mut self, name: &str) -> (u16, String, Value) {
        let url = self.proc(name).url("/readyz");
        let r = self.http.get(&url).send().await.expect("readyz answers");
        let status = r.status().as_u16();
        let ctype = content_type(&r);
        (status, ctype, r.json().await.unwrap_or(Value::Null))
    }

    pub fn gateway_url(&self, path: &str) -> String {
        self.gateway.url(path)
    }

    /// Signs in through the gateway; the whole login answer.
    pub async fn login(&self, username: &str, password: &str) -> Value {
        let r = self
            .http
            .post(self.gateway_url("/api/v1/auth/login"))
            .json(&json!({"username": username, "password": password}))
            .send()
            .await
            .expect("login sent");
        assert_eq!(r.status().as_u16(), 200, "login of {username}");
        r.json().await.expect("login json")
    }

    pub async fn admin_token(&self) -> String {
        self.login("admin", ADMIN_PASSWORD).await["access_token"]
            .as_str()
            .expect("access_token")
            .to_owned()
    }

    /// A request through the gateway; status, content type and body.
    pub async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        token: &str,
        body: Option<&Value>,
    ) -> reqwest::Result<(u16, String, Value)> {
        let mut req = self
            .http
            .request(method, self.gateway_url(path))
            .bearer_auth(token);
        if let Some(b) = body {
            req = req.json(b);
        }
        let r = req.send().await?;
        let (status, ctype) = (r.status().as_u16(), content_type(&r));
        Ok((status, ctype, r.json().await.unwrap_or(Value::Null)))
    }

    /// Stops every process gracefully (their logs complete).
    pub async fn stop(&mut self) {
        for name in PROCESSES {
            self.proc(name).stop().await;
        }
    }

    /// Every process's log, concatenated, each headed by its name.
    pub fn all_logs(&self) -> String {
        [
            &self.gateway,
            &self.customers,
            &self.shipments,
            &self.complaints,
            &self.analytics,
        ]
        .iter()
        .map(|p| {
            format!(
                "==> {} <==\n{}",
                p.name,
                std::fs::read_to_string(&p.log).unwrap_or_default()
            )
        })
        .collect()
    }

    /// Messages waiting in `service`'s dead-letter queue (0 when it has none), asked of the
    /// broker directly, not through the proxy.
    pub async fn dlq_depth(&self, service: &str) -> u32 {
        use lapin::options::QueueDeclareOptions;
        let conn = lapin::Connection::connect(&amqp_server(), Default::default())
            .await
            .expect("broker");
        let channel = conn.create_channel().await.expect("channel");
        let queue = format!("kt.{}.{service}.events.dlq", self.namespace);
        let passive = QueueDeclareOptions {
            passive: true,
            ..Default::default()
        };
        let depth = match channel
            .queue_declare(queue.as_str().into(), passive, Default::default())
            .await
        {
            Ok(q) => q.message_count(),
            Err(_) => 0, // the service consumes nothing
        };
        let _ = conn.close(200, "done".into()).await;
        depth
    }
}

impl Drop for System {
    fn drop(&mut self) {
        if std::thread::panicking() {
            eprintln!("process logs kept in {}", self.logs.display());
        } else {
            let _ = std::fs::remove_dir_all(&self.logs);
        }
    }
}

fn content_type(r: &reqwest::Response) -> String {
    r.headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}
