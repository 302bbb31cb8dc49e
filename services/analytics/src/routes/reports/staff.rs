//! `GET /api/v1/analytics/staff-performance`.

use actix_web::HttpResponse;
use kuaidi_shared::capabilities::{caps, Authorized};
use kuaidi_shared::db;
use kuaidi_shared::deps::Deps;
use kuaidi_shared::extract::Query;
use kuaidi_shared::openapi::NoValidToken;
use kuaidi_shared::ApiError;

use crate::api::kpis::KpiQuery;
use crate::api::problems::{InvalidParameter, MayNotReadStaffFigures};
use crate::api::reports::StaffPerformance;
use crate::routes::kpis::get::request;
use crate::routes::rights::not_merchant;

/// Per handler over `from..=to`: cases closed, median resolution time, first-response SLA
/// rate, CSAT and reopen rate (seed 002 ch. 10). An agent sees their own row.
#[utoipa::path(get, path = "/api/v1/analytics/staff-performance", tag = "analytics",
    params(KpiQuery),
    responses((status = 200, description = "One row per handler", body = StaffPerformance),
        NoValidToken, MayNotReadStaffFigures, InvalidParameter))]
pub async fn get_staff_performance(
    caller: Authorized<caps::Analytics>,
    query: Query<KpiQuery>,
    deps: Deps,
) -> Result<HttpResponse, ApiError> {
    not_merchant(&caller)?;
    let request = request(&caller, query.into_inner(), &deps.clock)?;
    let staff = db::run(&deps.pool, move |conn| {
        Ok(super::staff(crate::db::reports::staff(conn, &request)?))
    })
    .await?;
    Ok(HttpResponse::Ok().json(staff))
}
