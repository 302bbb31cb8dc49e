//! Builds the customers service: the same code path in production and in tests.

use diesel_migrations::{embed_migrations, EmbeddedMigrations};
use kuaidi_shared::app::{Application, ServiceCore};
use kuaidi_shared::jobs::Job;
use kuaidi_shared::settings::ServiceSettings;
use std::sync::Arc;
use std::time::Duration;

use crate::configuration::Schedule;
use crate::workflow::classify::Classifier;

pub const MIGRATIONS: EmbeddedMigrations = embed_migrations!();

/// The classification job: every `[schedule] classification_secs` (*default* hourly), one
/// replica at a time.
pub fn classification_job(schedule: &Schedule) -> Job {
    let every = Duration::from_secs(schedule.classification_secs.max(1));
    Job::new("customer_classification", every).exclusive()
}

/// The care-rules job (key-account monthly care, birthday and holiday care, missed complaint
/// callbacks):
/// every `[schedule] care_secs` (*default* hourly), one replica.
pub fn care_job(schedule: &Schedule) -> Job {
    let every = Duration::from_secs(schedule.care_secs.max(1));
    Job::new("customer_care_rules", every).exclusive()
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
    let (schedule, callback_days) = (rules.schedule, rules.follow_ups.callback_days);
    let care = rules.care.clone();
    let consumers = crate::events::consumers(&rules);
    let routes_rules = actix_web::web::Data::new(rules);
    Application::start_with(
        &core,
        Some(Arc::new(consumers)),
        move |cfg| {
            shared.register(cfg);
            cfg.app_data(actix_web::web::Data::new(routes_classifier))
                .app_data(actix_web::web::Data::new(routes_sched.clone()))
                .app_data(routes_rules.clone());
            crate::routes::configure(cfg);
        },
        move |stopping| {
            vec![
                sched.spawn_db(
                    classification_job(&schedule),
                    stopping.clone(),
                    move |conn, now| classifier.run(conn, now),
                ),
                sched.spawn_db(care_job(&schedule), stopping, move |conn, now| {
                    let holidays = care.occasions(now.date_naive());
                    Ok(crate::db::rules::care(
                        conn,
                        now,
                        &pii,
                        callback_days,
                        &holidays,
                    )?)
                }),
            ]
        },
    )
    .await
}
