//! Builds the gateway: the same code path in production and in tests.

use actix_web::{web, HttpResponse};
use diesel_migrations::{embed_migrations, EmbeddedMigrations};
use kuaidi_shared::app::{migrate_with_retry, serve, Application, Readiness, ServeOptions};
use kuaidi_shared::auth::JwtVerifier;
use kuaidi_shared::crypto::PiiCipher;
use kuaidi_shared::db;
use kuaidi_shared::settings::{AuthSettings, StaticKey};
use secrecy::ExposeSecret;
use std::time::Duration;
use utoipa_swagger_ui::SwaggerUi;

use crate::configuration::GatewaySettings;
use crate::edge::Edge;
use crate::proxy::{self, Limits, Router};
use crate::ratelimit::Limiter;
use crate::tokens::Signer;
use crate::{docs, keys, passwords, routes};

pub const MIGRATIONS: EmbeddedMigrations = embed_migrations!();

/// Connects, migrates, creates the first admin when there is none, loads the signing keys and
/// binds (port 0 in tests).
pub async fn build(settings: GatewaySettings) -> anyhow::Result<Application> {
    let pool = db::build_pool(
        settings.database_url.expose_secret(),
        settings.database_pool_size,
    );
    migrate_with_retry(&pool, MIGRATIONS).await?;
    let (p, configured) = (pool.clone(), settings.bootstrap_admin_password.clone());
    let generated = tokio::task::spawn_blocking(move || {
        let mut conn = p.get()?;
        passwords::bootstrap_admin(&mut conn, configured.as_ref().map(|s| s.expose_secret()))
    })
    .await??;
    if let Some(password) = generated {
        // Printed once, on purpose, to the console only (not the structured log).
        println!(
            "kuaidi-gateway: created user `admin` with generated password {password} — change it"
        );
    }
    let (p, jwt) = (pool.clone(), settings.jwt.clone());
    let ring = tokio::task::spawn_blocking(move || keys::load(&jwt, &p)).await??;
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
    let upstream_client = move || {
        reqwest::Client::builder()
            .connect_timeout(connect_timeout)
            .pool_idle_timeout(Duration::from_secs(90))
            .pool_max_idle_per_host(256)
            .tcp_nodelay(true)
            .build()
    };
    upstream_client()?;
    let router = web::Data::new(Router::new(&settings.services, &settings.proxy));
    let signer = Signer {
        keys: ring.clone(),
        jwt: settings.jwt.clone(),
        clock: settings.clock.clone(),
    };
    let edge = web::Data::new(Edge::new(verifier.clone(), pool.clone(), signer.clone()));
    let signer = web::Data::new(signer);
    let pii = web::Data::new(PiiCipher::new(&settings.pii)?);
    let clock = web::Data::new(settings.clock.clone());
    let limits = web::Data::new(Limits {
        per_principal: Limiter::new(
            settings.rate_limits.per_principal,
            settings.rate_limits.per_principal.saturating_mul(2),
        ),
        public_per_ip: Limiter::new(
            settings.rate_limits.public_per_ip,
            settings.rate_limits.public_per_ip,
        ),
    });
    let cors_origins = settings.cors.allowed_origins.clone();
    let (shutdown, stopping) = tokio::sync::watch::channel(false);
    let purge = spawn_purge(pool.clone(), settings.idempotency.retention_hours, stopping);
    let ring = web::Data::new(ring);
    let pool_data = web::Data::new(pool.clone());
    let max_body = settings.proxy.max_body_bytes;
    let openapi = docs::openapi();
    let http = settings.http.clone();
    let settings = web::Data::new(settings);
    let (server, port) = serve(
        ServeOptions {
            name: "gateway",
            http,
            readiness: Readiness {
                pool: Some(pool),
                broker: None,
            },
            cors_origins,
        },
        move |cfg| {
            cfg.app_data(verifier.clone())
                .app_data(edge.clone())
                .app_data(signer.clone())
                .app_data(pii.clone())
                .app_data(clock.clone())
                .app_data(limits.clone())
                .app_data(web::Data::new(
                    upstream_client().unwrap_or_else(|_| reqwest::Client::new()),
                ))
                .app_data(router.clone())
                .app_data(ring.clone())
                .app_data(pool_data.clone())
                .app_data(settings.clone())
                .app_data(web::PayloadConfig::new(max_body))
                .configure(routes::configure)
                .route(
                    "/docs",
                    web::get().to(|| async {
                        HttpResponse::PermanentRedirect()
                            .insert_header(("location", "/docs/"))
                            .finish()
                    }),
                )
                .service(SwaggerUi::new("/docs/{_:.*}").url("/openapi.json", openapi.clone()))
                // Everything else goes to the services (registered last: routes match in order).
                .route("/{tail}*", web::route().to(proxy::forward));
        },
    )?;
    Ok(Application::new(port, server, shutdown, vec![purge]))
}

/// Deletes expired idempotency records every 10 minutes (a plain DELETE: safe on every replica).
fn spawn_purge(
    pool: db::PgPool,
    retention_hours: i64,
    mut stopping: tokio::sync::watch::Receiver<bool>,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(600));
        loop {
            tokio::select! {
                _ = tick.tick() => {}
                _ = stopping.changed() => return,
            }
            let p = pool.clone();
            let purged = tokio::task::spawn_blocking(move || {
                let mut conn = p.get()?;
                Ok::<_, anyhow::Error>(crate::idempotency::purge(&mut conn, retention_hours)?)
            })
            .await;
            if let Ok(Ok(n)) = purged {
                tracing::debug!(purged = n, "expired idempotency records deleted");
            }
        }
    })
}
