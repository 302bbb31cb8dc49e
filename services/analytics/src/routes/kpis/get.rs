//! `GET /api/v1/analytics/kpis`.

use actix_web::HttpResponse;
use kuaidi_shared::capabilities::{caps, Authorized};
use kuaidi_shared::clock::Clock;
use kuaidi_shared::db;
use kuaidi_shared::deps::Deps;
use kuaidi_shared::extract::Query;
use kuaidi_shared::openapi::NoValidToken;
use kuaidi_shared::problem::Problem;
use kuaidi_shared::ApiError;

use crate::api::kpis::{KpiQuery, KpiReport};
use crate::api::problems::{MayNotReadAnalytics, NoSuchMerchant};
use crate::domain::definitions::DEFINITIONS_VERSION;
use crate::domain::kpi::KpiRow;
use crate::domain::query::KpiRequest;

/// Every KPI per local day, week or month, summed from the 15-minute rollups. Merchants see
/// only their own figures (another merchant's `merchant_id` is a `404`), agents only the cases
/// they handle.
#[utoipa::path(get, path = "/api/v1/analytics/kpis", tag = "analytics", params(KpiQuery),
    responses((status = 200, description = "One row per period, in order, periods without activity included with zeros; no rates (null) in periods not started yet", body = KpiReport),
        (status = 422, description = "Invalid date, reversed or too long range (over 400 periods), unknown granularity, time zone or parameter; `errors` names each", body = Problem, content_type = "application/problem+json", example = json!({"type": "https://kuaidi.dev/problems/validation_failed", "title": "Validation failed", "status": 422, "detail": "1 field is invalid", "instance": "/api/v1/analytics/kpis", "code": "validation_failed", "errors": [{"field": "granularity", "message": "must be day, week or month"}]})),
        NoValidToken, MayNotReadAnalytics, NoSuchMerchant))]
pub async fn get_kpis(
    caller: Authorized<caps::Analytics>,
    query: Query<KpiQuery>,
    deps: Deps,
) -> Result<HttpResponse, ApiError> {
    let request = request(&caller, query.into_inner(), &deps.clock)?;
    let data = db::run(&deps.pool, move |conn| kpi_rows(conn, &request)).await?;
    Ok(HttpResponse::Ok().json(KpiReport {
        data,
        definitions_version: DEFINITIONS_VERSION.into(),
    }))
}

/// The validated request, confined to what the caller may see.
pub fn request(
    caller: &Authorized<caps::Analytics>,
    query: KpiQuery,
    clock: &Clock,
) -> Result<KpiRequest, ApiError> {
    let mut request = query.into_request(clock.now())?;
    request.confine(caller)?;
    Ok(request)
}

/// One row per period of the request, zeros where nothing happened, no rates where nothing
/// could have happened yet.
pub fn kpi_rows(
    conn: &mut diesel::PgConnection,
    request: &KpiRequest,
) -> Result<Vec<KpiRow>, ApiError> {
    let sums = crate::db::rollup::period_sums(conn, request).map_err(ApiError::Internal)?;
    let customers =
        crate::db::customer_figures::customer_figures(conn, request).map_err(ApiError::Internal)?;
    Ok(request
        .range
        .periods()
        .into_iter()
        .map(|p| {
            let c = sums.get(&p.start).copied().unwrap_or_default();
            let cust = customers.get(&p.start).copied().unwrap_or_default();
            let row = KpiRow::compute(p, &c, &cust);
            if request.started(&p) {
                row
            } else {
                row.not_started()
            }
        })
        .collect())
}
