//! Builds the complaints service: the same code path in production and in tests.

use diesel_migrations::{embed_migrations, EmbeddedMigrations};
use kuaidi_shared::app::{Application, ServiceCore};
use kuaidi_shared::settings::ServiceSettings;
use std::sync::Arc;

pub const MIGRATIONS: EmbeddedMigrations = embed_migrations!();

/// Connects, migrates, binds (port 0 in tests), starts the relay and the event consumer.
pub async fn build(settings: ServiceSettings) -> anyhow::Result<Application> {
    let core = ServiceCore::init(crate::SERVICE, settings, MIGRATIONS)
        .await?
        .documented(crate::openapi());
    let shared = core.clone();
    Application::start(&core, Some(Arc::new(crate::events::Handler)), move |cfg| {
        shared.register(cfg);
        crate::routes::configure(cfg);
    })
    .await
}
