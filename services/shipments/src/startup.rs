//! Builds the shipments service: the same code path in production and in tests.

use diesel_migrations::{embed_migrations, EmbeddedMigrations};
use kuaidi_shared::app::{Application, ServiceCore};
use kuaidi_shared::settings::ServiceSettings;

pub const MIGRATIONS: EmbeddedMigrations = embed_migrations!();

/// Connects, migrates, binds (port 0 in tests) and starts the outbox relay.
pub async fn build(settings: ServiceSettings) -> anyhow::Result<Application> {
    let core = ServiceCore::init(crate::SERVICE, settings, MIGRATIONS).await?;
    let shared = core.clone();
    Application::start(&core, None, move |cfg| {
        shared.register(cfg);
        crate::routes::configure(cfg);
    })
    .await
}
