//! `GET /api/v1/analytics/complaint-hotspots`.

use actix_web::HttpResponse;
use kuaidi_shared::capabilities::{caps, Authorized};
use kuaidi_shared::db;
use kuaidi_shared::deps::Deps;
use kuaidi_shared::extract::Query;
use kuaidi_shared::openapi::NoValidToken;
use kuaidi_shared::ApiError;

use crate::api::kpis::KpiQuery;
use crate::api::problems::{InvalidParameter, MayNotReadHotspots, NoSuchMerchant};
use crate::api::reports::Hotspots;
use crate::routes::kpis::get::request;
use crate::routes::rights::merchant_scope;

/// Complaints by category × city and × hub over `from..=to` (local days of `tz`), the trend
/// against the previous period of equal length, and the top tracking-number and hub clusters
/// (热点分析): complaints received from customers, not the proactive cases the service opens
/// itself. A merchant sees its own complaints (another merchant's `merchant_id` is a `404`).
#[utoipa::path(get, path = "/api/v1/analytics/complaint-hotspots", tag = "analytics",
    params(KpiQuery),
    responses((status = 200, description = "Hotspots and their trend", body = Hotspots),
        NoValidToken, MayNotReadHotspots, InvalidParameter, NoSuchMerchant))]
pub async fn get_hotspots(
    caller: Authorized<caps::Analytics>,
    query: Query<KpiQuery>,
    deps: Deps,
) -> Result<HttpResponse, ApiError> {
    merchant_scope(&caller)?;
    let request = request(&caller, query.into_inner(), &deps.clock)?;
    let hotspots = db::run(&deps.pool, move |conn| {
        Ok(super::hotspots(crate::db::reports::hotspots(
            conn, &request,
        )?))
    })
    .await?;
    Ok(HttpResponse::Ok().json(hotspots))
}
