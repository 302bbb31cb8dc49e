//! `GET /api/v1/analytics/staff-performance`.

use actix_web::{web, HttpResponse};
use kuaidi_shared::capabilities::{caps, Authorized};
use kuaidi_shared::clock::Clock;
use kuaidi_shared::db::{self, PgPool};
use kuaidi_shared::problem::Problem;
use kuaidi_shared::ApiError;

use crate::api::kpis::KpiQuery;
use crate::api::reports::StaffPerformance;
use crate::routes::kpis::get::request;
use crate::routes::rights::not_merchant;

/// Per handler over `from..=to`: cases closed, median resolution time, first-response SLA
/// rate, CSAT and reopen rate (seed 002 ch. 10). An agent sees their own row.
#[utoipa::path(
    get,
    path = "/api/v1/analytics/staff-performance",
    tag = "analytics",
    params(KpiQuery),
    responses(
        (status = 200, description = "One row per handler", body = StaffPerformance),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The role may not read staff figures (merchants...)", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid parameter; `errors` names each", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn get_staff_performance(
    caller: Authorized<caps::Analytics>,
    query: web::Query<KpiQuery>,
    pool: web::Data<PgPool>,
    clock: web::Data<Clock>,
) -> Result<HttpResponse, ApiError> {
    not_merchant(&caller)?;
    let request = request(&caller, query.into_inner(), &clock)?;
    let staff = db::run(&pool, move |conn| {
        Ok(super::staff(crate::db::reports::staff(conn, &request)?))
    })
    .await?;
    Ok(HttpResponse::Ok().json(staff))
}
