//! Builds the customers service: the same code path in production and in tests.

use diesel_migrations::{embed_migrations, EmbeddedMigrations};
use kuaidi_shared::app::{Application, ServiceCore};
use kuaidi_shared::jobs::Job;
use kuaidi_shared::settings::ServiceSettings;
use std::sync::Arc;
use std::time::Duration;

use crate::workflow::classify::Classifier;

pub const MIGRATIONS: EmbeddedMigrations = embed_migrations!();

/// The classification job: hourly, one replica at a time.
pub fn classification_job() -> Job {
    Job::new("customer_classification", Duration::from_secs(3600)).exclusive()
}

/// The care-rules job (key-account monthly care, birthday care): hourly, one replica.
pub fn care_job() -> Job {
    Job::new("customer_care_rules", Duration::from_secs(3600)).exclusive()
}

/// Connects, migrates, binds (port 0 in tests), starts the relay, the event consumer and the
/// classification and care jobs.
pub async fn build(settings: ServiceSettings) -> anyhow::Result<Application> {
    let core = ServiceCore::init(crate::SERVICE, settings, MIGRATIONS)
        .await?
        .documented::<crate::ApiDoc>();
    let shared = core.clone();
    let sched = core.scheduler();
    let rules = crate::configuration::load_rules()?;
    let classifier = Classifier {
        thresholds: rules.classification,
    };
    let routes_classifier = classifier;
    let routes_sched = sched.clone();
    let pii = core.pii.clone();
    Application::start_with(
        &core,
        Some(Arc::new(crate::events::consumers())),
        move |cfg| {
            shared.register(cfg);
            cfg.app_data(actix_web::web::Data::new(routes_classifier))
                .app_data(actix_web::web::Data::new(routes_sched.clone()));
            crate::routes::configure(cfg);
        },
        move |stopping| {
            vec![
                sched.spawn_db(classification_job(), stopping.clone(), move |conn, now| {
                    classifier.run(conn, now)
                }),
                sched.spawn_db(care_job(), stopping, move |conn, now| {
                    Ok(crate::db::rules::care(conn, now, &pii)?)
                }),
            ]
        },
    )
    .await
}
