//! Builds the shipments service: the same code path in production and in tests.

use actix_web::web;
use diesel_migrations::{embed_migrations, EmbeddedMigrations};
use kuaidi_shared::app::{Application, ServiceCore};
use kuaidi_shared::events::retention::{self, Purge};
use kuaidi_shared::jobs::Job;
use kuaidi_shared::settings::ServiceSettings;
use secrecy::ExposeSecret;
use std::sync::Arc;
use std::time::Duration;

use crate::configuration::{TrackingRules, WebhookSettings};
use crate::db::tracking_cache::{self, Caches};
use crate::routes::tracking::public::PublicCache;
use crate::workflow::expiry;
use crate::workflow::webhooks;

pub const MIGRATIONS: EmbeddedMigrations = embed_migrations!();

/// Connects, migrates, binds (port 0 in tests) and starts the outbox relay, the consumers,
/// the webhook delivery job, the expiry sweep and the tracking cache's listener; webhook settings
/// and tracking rules come from the configuration file and the environment.
pub async fn build(settings: ServiceSettings) -> anyhow::Result<Application> {
    build_with(settings, crate::configuration::load_webhooks()?).await
}

/// Like [`build`], with explicit webhook settings (tests use millisecond retry schedules).
pub async fn build_with(
    settings: ServiceSettings,
    webhook_settings: WebhookSettings,
) -> anyhow::Result<Application> {
    let rules = crate::configuration::load_rules()?;
    build_with_rules(settings, webhook_settings, rules).await
}

/// Like [`build_with`], with explicit tracking rules (expiry period, ETA lane window).
pub async fn build_with_rules(
    settings: ServiceSettings,
    webhook_settings: WebhookSettings,
    rules: TrackingRules,
) -> anyhow::Result<Application> {
    let core = ServiceCore::init(crate::SERVICE, settings, MIGRATIONS)
        .await?
        .documented::<crate::ApiDoc>();
    let shared = core.clone();
    let wake = webhooks::Wake::default();
    let (hooks, hook_wake) = (webhook_settings.clone(), wake.clone());
    let deliveries = Job::new(
        "webhook_deliveries",
        Duration::from_millis(webhook_settings.poll_ms.max(1)),
    )
    .woken_by(wake.notify());
    let purge = Purge {
        job: "webhook_deliveries_purge",
        max_age: chrono::Duration::days(i64::from(webhook_settings.retention_days)),
        sql: webhooks::PURGE_SQL,
    };
    let worker = Arc::new(webhooks::Worker {
        pool: core.pool.clone(),
        settings: webhook_settings,
        wake: wake.clone(),
        outbox: core.outbox.clone(),
        pii: core.pii.clone(),
        clock: core.clock.clone(),
    });
    let consumers = crate::events::consumers(core.clock.clone(), core.pii.clone());
    let sched = core.scheduler();
    let sweeps = core.pool.clone();
    let retention = core.settings.jobs.retention.clone();
    let cache = Arc::new(PublicCache::default());
    let shipment_cache = Arc::new(crate::routes::shipments::get::cache());
    // What this replica's writers forget themselves, and the listener for the other replicas'.
    let caches = Caches::new(vec![cache.clone(), shipment_cache.clone()]);
    let (served_cache, served_shipments, written, database_url) = (
        cache,
        shipment_cache,
        caches.clone(),
        core.settings.database_url.expose_secret().to_owned(),
    );
    Application::start_with(
        &core,
        Some(Arc::new(consumers)),
        move |cfg| {
            shared.register(cfg);
            cfg.app_data(web::Data::new(hooks.clone()))
                .app_data(web::Data::new(hook_wake.clone()))
                .app_data(web::Data::new(rules.eta))
                .app_data(web::Data::new(rules.impact))
                .app_data(web::Data::from(served_cache.clone()))
                .app_data(web::Data::from(served_shipments.clone()))
                .app_data(web::Data::new(written.clone()));
            crate::routes::configure(cfg);
        },
        // The delivery job, the expiry sweep, the deliveries' purge and the cache's listener
        // stop with the service.
        move |stopping| {
            let purges = retention::spawn_purges(&sched, vec![purge], &retention, stopping.clone());
            let mut jobs = vec![
                tracking_cache::spawn_listener(database_url, caches.clone(), stopping.clone()),
                sched.spawn_async(deliveries, stopping.clone(), {
                    let stopping = stopping.clone();
                    move |_| worker.clone().drain(stopping.clone())
                }),
                // Not `spawn_db`: this replica forgets the expired numbers after the commit.
                sched.spawn_async(expiry::job(), stopping, move |now| {
                    expiry::run(sweeps.clone(), now, rules.tracking, caches.clone())
                }),
            ];
            jobs.extend(purges);
            jobs
        },
    )
    .await
}
