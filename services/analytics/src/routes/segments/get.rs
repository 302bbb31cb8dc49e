//! `GET /api/v1/analytics/segments`.

use actix_web::HttpResponse;
use kuaidi_shared::capabilities::{caps, Authorized};
use kuaidi_shared::db;
use kuaidi_shared::deps::Deps;
use kuaidi_shared::openapi::NoValidToken;
use kuaidi_shared::ApiError;

use crate::api::problems::MayNotReadSegments;
use crate::api::segments::Segments;
use crate::routes::rights::merchant_scope;

/// Value tiers with customer counts and value shares, the Pareto curve, the RFM distribution
/// and lifecycle-stage counts (a merchant: its own customers). Value is each customer's freight
/// spend over the trailing 12 months (UTC days) ending today, RFM's frequency their shipments
/// in those months.
#[utoipa::path(get, path = "/api/v1/analytics/segments", tag = "analytics",
    responses((status = 200, description = "The customer segments", body = Segments),
        NoValidToken, MayNotReadSegments))]
pub async fn get_segments(
    caller: Authorized<caps::Analytics>,
    deps: Deps,
) -> Result<HttpResponse, ApiError> {
    let merchant = merchant_scope(&caller)?;
    let today = deps.clock.now().date_naive();
    let segments = db::run(&deps.pool, move |conn| {
        let rows = crate::db::segments::segments(conn, merchant, today)?;
        Ok(super::segments(rows))
    })
    .await?;
    Ok(HttpResponse::Ok().json(segments))
}
