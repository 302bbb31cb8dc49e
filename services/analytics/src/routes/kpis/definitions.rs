//! `GET /api/v1/analytics/kpi-definitions`.

use actix_web::HttpResponse;
use kuaidi_shared::capabilities::{caps, Authorized};
use kuaidi_shared::openapi::NoValidToken;
use kuaidi_shared::ApiError;

use crate::api::kpis::KpiDefinitions;
use crate::api::problems::MayNotReadAnalytics;
use crate::domain::definitions::{DEFINITIONS_VERSION, KPIS};

/// Every KPI's formula, numerator, denominator, source events and version. Open to every role
/// that may read analytics (merchants included: the catalogue explains their own figures and
/// holds no data).
#[utoipa::path(get, path = "/api/v1/analytics/kpi-definitions", tag = "analytics",
    responses((status = 200, description = "The KPI catalogue", body = KpiDefinitions),
        NoValidToken, MayNotReadAnalytics))]
pub async fn get_kpi_definitions(
    _caller: Authorized<caps::Analytics>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(KpiDefinitions {
        data: KPIS.to_vec(),
        definitions_version: DEFINITIONS_VERSION.into(),
    }))
}
