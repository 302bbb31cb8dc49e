//! Builds the analytics service: the same code path in production and in tests.

use diesel_migrations::{embed_migrations, EmbeddedMigrations};
use kuaidi_shared::app::{Application, ServiceCore};
use kuaidi_shared::settings::ServiceSettings;
use std::sync::Arc;

use crate::configuration::AlertSettings;
use crate::workflow::alerts::{EarlyWarning, FactsChanged};

pub const MIGRATIONS: EmbeddedMigrations = embed_migrations!();

/// Connects, migrates, binds (port 0 in tests), starts the relay, the event consumers and the
/// early-warning job.
pub async fn build(settings: ServiceSettings) -> anyhow::Result<Application> {
    build_with(settings, crate::configuration::load_alerts()?).await
}

/// Like [`build`], with explicit early-warning thresholds and schedule.
pub async fn build_with(
    settings: ServiceSettings,
    alerts: AlertSettings,
) -> anyhow::Result<Application> {
    let core = ServiceCore::init(crate::SERVICE, settings, MIGRATIONS)
        .await?
        .documented::<crate::ApiDoc>();
    let shared = core.clone();
    let sched = core.scheduler();
    let changed = Arc::new(FactsChanged::default());
    let early_warning = EarlyWarning {
        rules: alerts.rules,
        schedule: alerts.schedule,
        changed: changed.clone(),
        outbox: core.outbox.clone(),
    };
    Application::start_with(
        &core,
        Some(Arc::new(crate::events::consumers(changed))),
        move |cfg| {
            shared.register(cfg);
            crate::routes::configure(cfg);
        },
        move |stopping| {
            vec![crate::workflow::alerts::early_warning(
                &sched,
                early_warning,
                stopping,
            )]
        },
    )
    .await
}
