//! `POST /api/v1/customers/classification:run`.

use actix_web::{web, HttpResponse};
use kuaidi_shared::capabilities::{caps, Authorized};
use kuaidi_shared::jobs::{Ran, Scheduler};
use kuaidi_shared::ApiError;
use std::sync::Arc;

use crate::api::care::ClassificationRun;
use crate::api::problems::AdminsOnly;
use crate::configuration::CustomerRules;
use crate::startup::classification_job;
use crate::workflow::classify::Classifier;

/// Runs the classification now (tiers, RFM, stages, churn warnings) under the same advisory
/// lock as the scheduled (hourly) job; `busy` when another replica is running it.
#[utoipa::path(post, path = "/api/v1/customers/classification:run", tag = "customers",
    responses((status = 200, description = "What the run changed", body = ClassificationRun),
        AdminsOnly))]
pub async fn run_classification(
    _admin: Authorized<caps::Administration>,
    sched: web::Data<Scheduler>,
    classifier: web::Data<Classifier>,
    rules: web::Data<CustomerRules>,
) -> Result<HttpResponse, ApiError> {
    let c = **classifier;
    let ran_at = sched.clock.now();
    let ran = sched
        .run_db(
            &classification_job(&rules.schedule),
            Arc::new(move |conn: &mut diesel::PgConnection, now| c.run(conn, now)),
        )
        .await?;
    let (status, changed) = match ran {
        Ran::Done(n) => ("done", n as i64),
        Ran::Busy => ("busy", 0),
    };
    Ok(HttpResponse::Ok().json(ClassificationRun {
        status: status.into(),
        customers_changed: changed,
        ran_at,
    }))
}
