//! `GET /api/v1/analytics/kpi-definitions`.

use actix_web::HttpResponse;
use kuaidi_shared::auth::{Principal, Role};
use kuaidi_shared::problem::Problem;
use kuaidi_shared::ApiError;

use crate::api::kpis::KpiDefinitions;
use crate::domain::definitions::{DEFINITIONS_VERSION, KPIS};

/// Every KPI's formula, numerator, denominator, source events and version.
#[utoipa::path(
    get,
    path = "/api/v1/analytics/kpi-definitions",
    tag = "analytics",
    responses(
        (status = 200, description = "The KPI catalogue", body = KpiDefinitions),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn get_kpi_definitions(caller: Principal) -> Result<HttpResponse, ApiError> {
    caller.require(&[
        Role::Admin,
        Role::Manager,
        Role::Supervisor,
        Role::Agent,
        Role::Analyst,
        Role::Merchant,
    ])?;
    Ok(HttpResponse::Ok().json(KpiDefinitions {
        data: KPIS.to_vec(),
        definitions_version: DEFINITIONS_VERSION.into(),
    }))
}
