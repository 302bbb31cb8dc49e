//! Builds the complaints service: the same code path in production and in tests.

use diesel_migrations::{embed_migrations, EmbeddedMigrations};
use kuaidi_shared::app::{Application, ServiceCore};
use kuaidi_shared::jobs::Job;
use kuaidi_shared::settings::ServiceSettings;
use std::sync::Arc;
use std::time::Duration;

pub const MIGRATIONS: EmbeddedMigrations = embed_migrations!();

/// Connects, migrates, binds (port 0 in tests), starts the relay, the consumers and the jobs:
/// the SLA sweep (every minute by default) and the claims ageing job, each on one replica at a
/// time. The rules SPEC §6 marks *default* (`configuration::Rules`) reach the routes as
/// `web::Data<Rules>` and the consumers and jobs as a value.
pub async fn build(settings: ServiceSettings) -> anyhow::Result<Application> {
    let evidence = actix_web::web::Data::new(crate::configuration::load_evidence()?);
    let rules = crate::configuration::load_rules()?;
    let core = ServiceCore::init(crate::SERVICE, settings, MIGRATIONS)
        .await?
        .documented::<crate::ApiDoc>();
    let shared = core.clone();
    let sched = core.scheduler();
    let consumers = crate::events::consumers(core.clock.clone(), rules);
    let shared_rules = actix_web::web::Data::new(rules);
    Application::start_with(
        &core,
        Some(Arc::new(consumers)),
        move |cfg| {
            shared.register(cfg);
            cfg.app_data(evidence.clone());
            cfg.app_data(shared_rules.clone());
            crate::routes::configure(cfg);
        },
        move |stopping| {
            vec![
                sched.spawn_db(
                    Job::new("complaints.sla_sweep", rules.sweep_interval())
                        .exclusive()
                        .in_batches(crate::workflow::sla::SWEEP_BATCH),
                    stopping.clone(),
                    crate::workflow::sla::sweep,
                ),
                sched.spawn_db(
                    Job::new("complaints.claims_ageing", Duration::from_secs(300)).exclusive(),
                    stopping.clone(),
                    move |conn, now| crate::workflow::claims::ageing(conn, now, &rules),
                ),
            ]
        },
    )
    .await
}
