//! Builds the complaints service: the same code path in production and in tests.

use diesel_migrations::{embed_migrations, EmbeddedMigrations};
use kuaidi_shared::app::{Application, ServiceCore};
use kuaidi_shared::jobs::Job;
use kuaidi_shared::settings::ServiceSettings;
use std::sync::Arc;
use std::time::Duration;

pub const MIGRATIONS: EmbeddedMigrations = embed_migrations!();

/// Connects, migrates, binds (port 0 in tests), starts the relay, the consumers and the jobs:
/// the SLA sweep every minute and the claims ageing job, each on one replica at a time.
pub async fn build(settings: ServiceSettings) -> anyhow::Result<Application> {
    let evidence = actix_web::web::Data::new(crate::configuration::load_evidence()?);
    let core = ServiceCore::init(crate::SERVICE, settings, MIGRATIONS)
        .await?
        .documented::<crate::ApiDoc>();
    let shared = core.clone();
    let sched = core.scheduler();
    let consumers = crate::events::consumers(core.clock.clone());
    Application::start_with(
        &core,
        Some(Arc::new(consumers)),
        move |cfg| {
            shared.register(cfg);
            cfg.app_data(evidence.clone());
            crate::routes::configure(cfg);
        },
        move |stopping| {
            vec![
                sched.spawn_db(
                    Job::new("complaints.sla_sweep", Duration::from_secs(60))
                        .exclusive()
                        .in_batches(crate::workflow::sla::SWEEP_BATCH),
                    stopping.clone(),
                    crate::workflow::sla::sweep,
                ),
                sched.spawn_db(
                    Job::new("complaints.claims_ageing", Duration::from_secs(300)).exclusive(),
                    stopping.clone(),
                    crate::workflow::claims::ageing,
                ),
            ]
        },
    )
    .await
}
