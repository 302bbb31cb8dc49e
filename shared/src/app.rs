//! The scaffold every Kuaidi process runs on: the HTTP server with request context, logging,
//! metrics and problem+json extractor errors, dot-segment refusal; `/healthz`, `/readyz`, and
//! `/metrics` on the management port; the outbox
//! relay and the event consumer as background tasks; and graceful shutdown (drain requests,
//! then flush the outbox).

use actix_service::IntoServiceFactory;
use actix_web::dev::{Server, ServerHandle};
use actix_web::middleware::{from_fn, Condition};
use actix_web::{web, App, HttpServer};
use diesel_migrations::EmbeddedMigrations;
use secrecy::ExposeSecret;
use std::net::TcpListener;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::auth::revocations::{self, Revocations, WithRevocations};
use crate::auth::JwtVerifier;
use crate::clock::Clock;
use crate::crypto::PiiCipher;
pub use crate::db::migrate_with_retry;
use crate::db::{self, PgPool};
use crate::events::consumer::{self, EventHandler, Subscription};
use crate::events::relay::{self, BrokerStatus};
use crate::events::retention;
use crate::events::Outbox;
use crate::jobs::Scheduler;
use crate::management::Management;
use crate::openapi::Document;

pub mod client_addr;
mod guards;
mod headers;
mod probes;
pub mod shortcut;
use crate::settings::{HttpSettings, ServiceSettings};
pub use headers::is_default_header;
use headers::{cors, security_headers};
pub use probes::Readiness;
use probes::{healthz, readyz};

/// What a backend service's handlers share, built once at start-up.
#[derive(Clone)]
pub struct ServiceCore {
    pub name: &'static str,
    pub settings: ServiceSettings,
    pub pool: PgPool,
    pub outbox: Outbox,
    pub broker: BrokerStatus,
    pub verifier: web::Data<JwtVerifier>,
    /// The credentials the gateway revoked, refused by the token extractor.
    pub revocations: web::Data<Revocations>,
    pub pii: Arc<PiiCipher>,
    pub clock: Clock,
    /// The service's OpenAPI document, served at `GET /openapi.json` when set.
    pub openapi: Option<Document>,
}

impl ServiceCore {
    /// Connects the pool and runs migrations (retrying while PostgreSQL comes up).
    pub async fn init(
        name: &'static str,
        settings: ServiceSettings,
        migrations: EmbeddedMigrations,
    ) -> anyhow::Result<Self> {
        let pool = db::build_pool(
            settings.database_url.expose_secret(),
            settings.database_pool_size,
        );
        crate::settings::check_pii_keys(
            &settings.pii,
            crate::settings::dev_mode(settings.dev_mode),
        )?;
        migrate_with_retry(&pool, migrations).await?;
        Ok(Self {
            name,
            verifier: web::Data::new(JwtVerifier::new(&settings.auth)?),
            revocations: web::Data::new(Revocations::new()),
            pii: Arc::new(PiiCipher::new(&settings.pii)?),
            clock: settings.clock.clone(),
            pool,
            outbox: Outbox::new(),
            broker: BrokerStatus::default(),
            openapi: None,
            settings,
        })
    }

    /// Serves `D`'s document at `GET /openapi.json` (the gateway merges every service's document):
    /// `ServiceCore::init(..).await?.documented::<crate::ApiDoc>()`.
    pub fn documented<D: utoipa::OpenApi>(mut self) -> Self {
        self.openapi = Some(Document::new(D::openapi()));
        self
    }

    /// The app data every handler may extract.
    pub fn register(&self, cfg: &mut web::ServiceConfig) {
        cfg.app_data(web::Data::new(self.pool.clone()))
            .app_data(web::Data::new(self.outbox.clone()))
            .app_data(self.verifier.clone())
            .app_data(self.revocations.clone())
            .app_data(web::Data::from(self.pii.clone()))
            .app_data(web::Data::new(self.clock.clone()));
        if let Some(doc) = &self.openapi {
            doc.register(cfg);
        }
    }

    /// Schedules the service's background jobs on its pool and clock.
    pub fn scheduler(&self) -> Scheduler {
        Scheduler {
            pool: self.pool.clone(),
            clock: self.clock.clone(),
            tick: self.settings.jobs.tick_ms.map(Duration::from_millis),
        }
    }
}

/// How long an idle keep-alive connection stays open (see [`serve`]).
pub const KEEP_ALIVE: Duration = Duration::from_secs(120);

/// Options of [`serve`].
pub struct ServeOptions {
    pub name: &'static str,
    pub http: HttpSettings,
    pub readiness: Readiness,
    /// `Some` for the process browsers reach (the gateway): CORS for these origins (empty: no
    /// cross-origin access) and the security headers on every answer. `None` for a service
    /// behind it, which leaves both to the edge: the gateway sets its own on whatever it
    /// relays, so the service's would only be sent, parsed and dropped on every request.
    pub edge: Option<Vec<String>>,
    /// Answers some requests on the public port before the app (see [`shortcut`]).
    pub shortcut: Option<shortcut::MakeShortcut>,
}

/// Binds the listener and builds the HTTP server with the common middleware and endpoints;
/// `configure` adds the service's own routes and data.
pub fn serve<F>(opts: ServeOptions, configure: F) -> anyhow::Result<(Server, Ports)>
where
    F: Fn(&mut web::ServiceConfig) + Clone + Send + 'static,
{
    let listener = TcpListener::bind((opts.http.host.as_str(), opts.http.port))?;
    let port = listener.local_addr()?.port();
    let management = TcpListener::bind((
        opts.http.host.as_str(),
        crate::management::metrics_port(opts.name, &opts.http),
    ))?;
    let registry = prometheus::Registry::new();
    crate::events::metrics::register(&registry);
    crate::jobs::register(&registry);
    let metrics = web::Data::new(crate::http_metrics::HttpMetrics::register(
        &registry, opts.name,
    )?);
    let ports = Ports {
        public: port,
        metrics: management.local_addr()?.port(),
    };
    let mgmt = web::Data::new(Management {
        port: ports.metrics,
        registry,
    });
    let trusted = client_addr::TrustedProxies::parse(&opts.http.trusted_proxies)?;
    let readiness = web::Data::new(opts.readiness);
    let edge = opts.edge.is_some();
    let origins = opts.edge.unwrap_or_default();
    let make_shortcut = opts.shortcut;
    let envelope = shortcut::Envelope {
        metrics: metrics.clone(),
    };
    let mut server = HttpServer::new(move || {
        let mut shortcut = None;
        let app = App::new()
            .wrap(from_fn(guards::guards))
            .wrap(Condition::new(edge, cors(&origins)))
            .wrap(Condition::new(edge, security_headers()))
            .wrap(crate::http_front::Front)
            .app_data(readiness.clone())
            .app_data(mgmt.clone())
            .app_data(metrics.clone())
            .app_data(
                web::JsonConfig::default()
                    .limit(4 << 20)
                    .error_handler(crate::extract::json_error_handler),
            )
            .app_data(
                web::QueryConfig::default().error_handler(crate::extract::query_error_handler),
            )
            .app_data(web::PathConfig::default().error_handler(crate::extract::path_error_handler))
            .route("/healthz", web::get().to(healthz))
            .route("/readyz", web::get().to(readyz))
            // Before `configure`: a process may set its own default service (the gateway's
            // proxy answers every path it does not serve itself).
            .default_service(web::to(crate::methods::unmatched))
            .configure(configure.clone())
            .configure(|cfg| {
                shortcut = make_shortcut
                    .as_ref()
                    .and_then(|make| make(cfg, envelope.clone()));
            });
        shortcut::Split {
            app: app.into_factory(),
            shortcut,
            management_port: ports.metrics,
            trusted: trusted.clone(),
        }
    })
    // Longer than any caller keeps an idle pooled connection (the gateway's upstream pool: 90 s),
    // so the caller always closes first: with actix's default of 5 s, the gateway reused
    // connections the service was closing at that moment, and a POST (never retried) got a 502.
    .keep_alive(KEEP_ALIVE)
    .shutdown_timeout(20)
    .listen(listener)?
    .listen(management)?;
    if let Some(w) = opts.http.workers {
        server = server.workers(w);
    }
    Ok((server.run(), ports))
}

/// The ports a process listens on: the public one and the management one (`/metrics`).
#[derive(Debug, Clone, Copy)]
pub struct Ports {
    pub public: u16,
    pub metrics: u16,
}

/// A running service: its HTTP server and its bus tasks.
pub struct Application {
    ports: Ports,
    server: Server,
    shutdown: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
}

impl Application {
    /// Starts a backend service: HTTP plus the relay, plus the consumer when it consumes events.
    /// The consumer's queues and bindings are declared before this returns (when the broker is
    /// reachable), so events published from then on are kept for the service.
    pub async fn start<F>(
        core: &ServiceCore,
        consumer: Option<Arc<dyn EventHandler>>,
        configure: F,
    ) -> anyhow::Result<Self>
    where
        F: Fn(&mut web::ServiceConfig) + Clone + Send + 'static,
    {
        Self::start_with(core, consumer, configure, |_| Vec::new()).await
    }

    /// Like [`Application::start`], plus the service's own background tasks (sweeps, workers),
    /// which get the shutdown signal and are awaited when the service stops.
    pub async fn start_with<F, T>(
        core: &ServiceCore,
        consumer: Option<Arc<dyn EventHandler>>,
        configure: F,
        background: T,
    ) -> anyhow::Result<Self>
    where
        F: Fn(&mut web::ServiceConfig) + Clone + Send + 'static,
        T: FnOnce(crate::events::Shutdown) -> Vec<JoinHandle<()>>,
    {
        // Every service also consumes the gateway's revocations.
        let consumer = consumer.map(|handler| {
            let revocations = core.revocations.clone().into_inner();
            Arc::new(WithRevocations::new(handler, revocations)) as Arc<dyn EventHandler>
        });
        if let Some(handler) = &consumer {
            crate::events::topology::check_subscribed(core.name, handler.event_types())?;
        }
        let (server, ports) = serve(
            ServeOptions {
                name: core.name,
                http: core.settings.http.clone(),
                readiness: Readiness {
                    pool: Some(core.pool.clone()),
                    broker: Some(core.broker.clone()),
                },
                edge: None,
                shortcut: None,
            },
            configure,
        )?;
        let (shutdown, rx) = watch::channel(false);
        let mut tasks = vec![tokio::spawn(relay::run(
            core.name.to_owned(),
            core.settings.amqp.clone(),
            core.pool.clone(),
            core.outbox.clone(),
            core.broker.clone(),
            rx.clone(),
        ))];
        if let Some(handler) = consumer {
            let sub = Subscription {
                service: core.name.to_owned(),
                settings: core.settings.amqp.clone(),
                pool: core.pool.clone(),
                handler,
            };
            if let Err(e) = consumer::declare(&sub).await {
                tracing::warn!(error = %e, "broker unreachable at start; the consumer will declare its queues when it connects");
            }
            tasks.push(tokio::spawn(consumer::run(sub, rx.clone())));
        }
        let (retention, sched) = (&core.settings.jobs.retention, core.scheduler());
        tasks.extend(retention::spawn(&sched, retention, rx.clone()));
        tasks.extend(revocations::jobs(&sched, &core.revocations, retention, &rx));
        tasks.extend(background(rx));
        Ok(Self::new(ports, server, shutdown, tasks))
    }

    pub fn new(
        ports: Ports,
        server: Server,
        shutdown: watch::Sender<bool>,
        tasks: Vec<JoinHandle<()>>,
    ) -> Self {
        Self {
            ports,
            server,
            shutdown,
            tasks,
        }
    }

    pub fn port(&self) -> u16 {
        self.ports.public
    }

    /// The management port, serving Prometheus `/metrics`.
    pub fn metrics_port(&self) -> u16 {
        self.ports.metrics
    }

    /// Serves until SIGTERM/SIGINT (actix drains in-flight requests), then stops the bus tasks;
    /// the relay publishes what was committed before it exits.
    pub async fn run_until_stopped(self) -> anyhow::Result<()> {
        let result = self.server.await;
        let _ = self.shutdown.send(true);
        for t in self.tasks {
            let _ = t.await;
        }
        Ok(result?)
    }

    /// Runs in the background (tests); the handle stops it.
    pub fn spawn(self) -> RunningApp {
        let handle = self.server.handle();
        let (port, metrics_port) = (self.ports.public, self.ports.metrics);
        let shutdown = self.shutdown.clone();
        let join = tokio::spawn(async move {
            let _ = self.run_until_stopped().await;
        });
        RunningApp {
            port,
            metrics_port,
            handle,
            shutdown,
            join,
        }
    }
}

/// A service running in the background of a test.
pub struct RunningApp {
    pub port: u16,
    /// The management port (`/metrics`).
    pub metrics_port: u16,
    handle: ServerHandle,
    shutdown: watch::Sender<bool>,
    join: JoinHandle<()>,
}

impl RunningApp {
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Where Prometheus scrapes this process.
    pub fn metrics_url(&self) -> String {
        format!("http://127.0.0.1:{}/metrics", self.metrics_port)
    }

    /// Graceful stop: HTTP first, then the bus tasks.
    pub async fn stop(self) {
        self.handle.stop(true).await;
        let _ = self.shutdown.send(true);
        let _ = self.join.await;
    }

    /// Stops the bus tasks and the server abruptly, like a killed process (no outbox flush).
    pub async fn kill(self) {
        self.join.abort();
        self.handle.stop(false).await;
        let _ = self.shutdown.send(true);
    }
}
