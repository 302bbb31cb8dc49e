//! Builds the shipments service: the same code path in production and in tests.

use actix_web::web;
use diesel_migrations::{embed_migrations, EmbeddedMigrations};
use kuaidi_shared::app::{Application, ServiceCore};
use kuaidi_shared::settings::ServiceSettings;
use std::sync::Arc;

use crate::configuration::WebhookSettings;
use crate::webhooks;

pub const MIGRATIONS: EmbeddedMigrations = embed_migrations!();

/// Connects, migrates, binds (port 0 in tests) and starts the outbox relay, the webhook
/// fan-out consumer and the webhook delivery worker; webhook settings come from the
/// configuration file and the environment.
pub async fn build(settings: ServiceSettings) -> anyhow::Result<Application> {
    build_with(settings, crate::configuration::load_webhooks()?).await
}

/// Like [`build`], with explicit webhook settings (tests use millisecond retry schedules).
pub async fn build_with(
    settings: ServiceSettings,
    webhook_settings: WebhookSettings,
) -> anyhow::Result<Application> {
    let core = ServiceCore::init(crate::SERVICE, settings, MIGRATIONS)
        .await?
        .documented(crate::openapi());
    let shared = core.clone();
    let wake = webhooks::Wake::default();
    let (hooks, hook_wake) = (webhook_settings.clone(), wake.clone());
    let worker = webhooks::Worker {
        pool: core.pool.clone(),
        settings: webhook_settings,
        outbox: core.outbox.clone(),
        wake,
        pii: core.pii.clone(),
    };
    let (pool, outbox) = (core.pool.clone(), core.outbox.clone());
    Application::start_with(
        &core,
        Some(Arc::new(webhooks::Fanout)),
        move |cfg| {
            shared.register(cfg);
            cfg.app_data(web::Data::new(hooks.clone()))
                .app_data(web::Data::new(hook_wake.clone()));
            crate::routes::configure(cfg);
        },
        // The webhook delivery worker and the expiry sweep stop with the service.
        move |stopping| {
            vec![
                tokio::spawn(worker.run(stopping.clone())),
                tokio::spawn(crate::sweep::run(pool, outbox, stopping)),
            ]
        },
    )
    .await
}
