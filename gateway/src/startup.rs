//! Builds the gateway: the same code path in production and in tests.

use actix_web::{web, HttpResponse};
use diesel_migrations::{embed_migrations, EmbeddedMigrations};
use kuaidi_shared::app::shortcut::Shortcut;
use kuaidi_shared::app::{migrate_with_retry, serve, Application, Readiness, ServeOptions};
use kuaidi_shared::auth::JwtVerifier;
use kuaidi_shared::crypto::PiiCipher;
use kuaidi_shared::db;
use kuaidi_shared::events::relay::{self, BrokerStatus};
use kuaidi_shared::events::retention::{self, Purge};
use kuaidi_shared::events::{Outbox, Shutdown};
use kuaidi_shared::input::ItemWise;
use kuaidi_shared::jobs::{Job, Scheduler};
use kuaidi_shared::settings::{AuthSettings, StaticKey};
use secrecy::ExposeSecret;
use std::rc::Rc;
use std::sync::Arc;
use std::time::Duration;
use tokio::task::JoinHandle;
use utoipa_swagger_ui::{Config, SwaggerUi};

use crate::audit::Auditor;
use crate::configuration::GatewaySettings;
use crate::docs::Catalog;
use crate::edge::Edge;
use crate::lockout::AuthLimits;
use crate::proxy::{self, Limits, Proxy, Router};
use crate::ratelimit::Limiter;
use crate::sessions::Sessions;
use crate::tokens::Signer;
use crate::{docs, keys, passwords, routes};

pub const MIGRATIONS: EmbeddedMigrations = embed_migrations!();

/// The proxied routes whose service answers each element of a body's array on its own (SPEC §5
/// batch ingestion): the edge guard passes unstorable text inside those elements on, for the
/// service to reject those elements alone. The same declaration as the service's (the gateway
/// links no service crate).
const ITEM_WISE: &[ItemWise] = &[ItemWise {
    path: "/api/v1/tracking-events:batch",
    items: "events",
}];

/// Connects, migrates, creates the first admin when there is none, loads the signing keys and
/// binds (port 0 in tests).
pub async fn build(settings: GatewaySettings) -> anyhow::Result<Application> {
    let dev_mode = kuaidi_shared::settings::dev_mode(settings.dev_mode);
    kuaidi_shared::settings::check_pii_keys(&settings.pii, dev_mode)?;
    let pool = db::build_pool(
        settings.database_url.expose_secret(),
        settings.database_pool_size,
    );
    migrate_with_retry(&pool, MIGRATIONS).await?;
    let (configured, now) = (
        settings.bootstrap_admin_password.clone(),
        settings.clock.now(),
    );
    let generated = db::work(&pool, move |conn| {
        passwords::bootstrap_admin(conn, configured.as_ref().map(|s| s.expose_secret()), now)
    })
    .await?;
    if let Some(password) = generated {
        // Printed once, on purpose, to the console only (not the structured log).
        println!(
            "kuaidi-gateway: created user `admin` with generated password {password} — change it"
        );
    }
    let jwt = settings.jwt.clone();
    let ring = db::work(&pool, move |conn| keys::load(&jwt, dev_mode, conn)).await?;
    let verifier = web::Data::new(JwtVerifier::new(&AuthSettings {
        issuer: settings.jwt.issuer.clone(),
        audience: settings.jwt.audience.clone(),
        jwks_url: None,
        public_keys: ring
            .published
            .iter()
            .map(|k| StaticKey {
                kid: k.kid.clone(),
                x: k.x.clone(),
            })
            .collect(),
    })?);
    // One upstream connection pool per worker (built in the worker's factory below): each
    // actix worker runs its own single-threaded runtime, and a pooled connection is driven by
    // the runtime that opened it, so a shared pool would hop threads on every request.
    let connect_timeout = Duration::from_millis(settings.proxy.connect_timeout_ms);
    // The services' documents are fetched with a general-purpose client; requests are proxied
    // with the lean one of `proxy::upstream`.
    let docs_client = reqwest::Client::builder()
        .connect_timeout(connect_timeout)
        .pool_idle_timeout(Duration::from_secs(90))
        .tcp_nodelay(true)
        .build()?;
    let signer = Signer {
        keys: ring.clone(),
        jwt: settings.jwt.clone(),
        clock: settings.clock.clone(),
    };
    let edge = web::Data::new(Edge::new(verifier.clone(), pool.clone(), signer.clone()));
    let signer = web::Data::new(signer);
    let pii = web::Data::new(PiiCipher::new(&settings.pii)?);
    let clock = web::Data::new(settings.clock.clone());
    let auditor = Auditor::new(pool.clone(), settings.clock.clone());
    let sessions = web::Data::new(Sessions {
        signer: signer.as_ref().clone(),
        pool: pool.clone(),
    });
    let proxy = web::Data::new(Proxy {
        router: Router::new(&settings.services, &settings.proxy),
        edge: edge.clone(),
        limits: Limits {
            per_principal: Limiter::new(
                settings.rate_limits.per_principal,
                settings.rate_limits.per_principal.saturating_mul(2),
            ),
            public_per_ip: Limiter::new(
                settings.rate_limits.public_per_ip,
                settings.rate_limits.public_per_ip,
            ),
        },
        auditor: auditor.clone(),
        max_body: settings.proxy.max_body_bytes,
        pii: pii.clone().into_inner(),
    });
    let auditor = web::Data::new(auditor);
    let (per_address, per_username) = (
        settings.rate_limits.auth_per_address,
        settings.rate_limits.auth_per_username,
    );
    let auth_limits = web::Data::new(AuthLimits {
        per_address: Limiter::new(per_address, per_address.saturating_mul(4)),
        per_username: Limiter::new(per_username, per_username.saturating_mul(10)),
        backoff: crate::lockout::AddressBackoff::new(
            settings.clock.clone(),
            settings.rate_limits.auth_free_failures_per_address,
        ),
    });
    let cors_origins = settings.cors.allowed_origins.clone();
    // The services' documents, merged at run time (the gateway links no service).
    let catalog = Catalog::new(
        &docs::gateway_openapi(),
        &settings.services,
        docs_client,
        settings.clock.clone(),
    );
    let catalog = web::Data::new(catalog?);
    catalog.refresh(settings.clock.now()).await;
    let (shutdown, stopping) = tokio::sync::watch::channel(false);
    let outbox = Outbox::new();
    let mut jobs = background(
        &settings,
        &pool,
        catalog.clone().into_inner(),
        stopping.clone(),
    );
    // Revocations reach the services as events. The gateway works without the broker (its
    // readiness does not depend on it): the outbox keeps them until the broker is back.
    jobs.push(tokio::spawn(relay::run(
        "gateway".to_owned(),
        settings.amqp.clone(),
        pool.clone(),
        outbox.clone(),
        BrokerStatus::default(),
        stopping,
    )));
    let outbox = web::Data::new(outbox);
    let ring = web::Data::new(ring);
    let pool_data = web::Data::new(pool.clone());
    let max_body = settings.proxy.max_body_bytes;
    // One upstream pool per worker, shared by the shortcut and the app's way.
    let (shortcut, proxy_data) = (settings.proxy.shortcut, proxy.clone());
    let http = settings.http.clone();
    let settings = web::Data::new(settings);
    let (server, ports) = serve(
        ServeOptions {
            name: "gateway",
            http,
            readiness: Readiness {
                pool: Some(pool),
                broker: None,
            },
            edge: Some(cors_origins),
            shortcut: Some(Arc::new(move |cfg, envelope| {
                let client = proxy::upstream::client(connect_timeout);
                cfg.app_data(web::Data::new(client.clone()));
                shortcut.then(|| {
                    let reads = proxy::shortcut::Reads {
                        proxy: proxy_data.clone(),
                        client,
                        envelope,
                    };
                    Rc::new(reads) as Rc<dyn Shortcut>
                })
            })),
        },
        move |cfg| {
            cfg.app_data(verifier.clone())
                .app_data(edge.clone())
                .app_data(signer.clone())
                .app_data(pii.clone())
                .app_data(clock.clone())
                .app_data(proxy.clone())
                .app_data(sessions.clone())
                .app_data(auditor.clone())
                .app_data(auth_limits.clone())
                .app_data(ring.clone())
                .app_data(pool_data.clone())
                .app_data(outbox.clone())
                .app_data(settings.clone())
                .app_data(web::PayloadConfig::new(max_body))
                // The edge text guard reads no more of a body than the proxy buffers anyway
                // (`proxy::body`); longer bodies stream on and their service checks them. The
                // routes whose service answers a body's items one by one are declared as the
                // service declares them: a bad item is its service's to reject, not a 422 here.
                .app_data(kuaidi_shared::input::InputGuard {
                    inspect_up_to: 64 * 1024,
                    item_wise: ITEM_WISE,
                })
                // The gateway's own bodies (credentials, admin records) are small: none of them
                // can hide past what the guard reads.
                .app_data(
                    web::JsonConfig::default()
                        .limit(64 * 1024)
                        .error_handler(kuaidi_shared::extract::json_error_handler),
                )
                .configure(routes::configure)
                // Resources, not `cfg.route`: another method is a `405` (see `routes`).
                .service(web::resource("/docs").route(web::get().to(|| async {
                    HttpResponse::PermanentRedirect()
                        .insert_header(("location", "/docs/"))
                        .finish()
                })))
                .app_data(catalog.clone())
                .service(web::resource("/openapi.json").route(web::get().to(docs::catalog::serve)))
                // In a scope: its pattern (a regex) is tried only on paths under `/docs`.
                .service(
                    web::scope("/docs")
                        .service(SwaggerUi::new("/{_:.*}").config(Config::from("/openapi.json"))),
                )
                // Everything else goes to the services: the default service, so a proxied path
                // costs no pattern match.
                .default_service(web::to(proxy::forward));
        },
    )?;
    Ok(Application::new(ports, server, shutdown, jobs))
}

/// The gateway's periodic jobs: refreshing the services' documents, and the purges of its
/// bounded tables (one replica at a time, in batches): idempotency records after
/// `idempotency.retention_hours`, audit-log entries after `audit.retention_days`.
fn background(
    settings: &GatewaySettings,
    pool: &db::PgPool,
    catalog: Arc<Catalog>,
    stopping: Shutdown,
) -> Vec<JoinHandle<()>> {
    let sched = Scheduler {
        pool: pool.clone(),
        clock: settings.clock.clone(),
        tick: settings.jobs.tick_ms.map(Duration::from_millis),
    };
    let refresh = Job::new("openapi_refresh", docs::catalog::RETRY_MISSING_EVERY);
    let mut jobs = vec![sched.spawn_async(refresh, stopping.clone(), move |now| {
        let catalog = catalog.clone();
        async move { Ok(catalog.refresh_if_due(now).await) }
    })];
    let purges = vec![
        Purge {
            job: "idempotency_purge",
            max_age: chrono::Duration::hours(settings.idempotency.retention_hours),
            sql: crate::idempotency::PURGE_SQL,
        },
        Purge {
            job: "audit_log_purge",
            max_age: chrono::Duration::days(i64::from(settings.audit.retention_days)),
            sql: crate::audit::PURGE_SQL,
        },
    ];
    jobs.extend(retention::spawn_purges(
        &sched,
        purges,
        &settings.jobs.retention,
        stopping,
    ));
    jobs
}
