//! `GET /api/v1/analytics/segments`.

use actix_web::HttpResponse;
use kuaidi_shared::capabilities::{caps, Authorized};
use kuaidi_shared::db;
use kuaidi_shared::deps::Deps;
use kuaidi_shared::extract::Query;
use kuaidi_shared::openapi::NoValidToken;
use kuaidi_shared::ApiError;

use crate::api::problems::{InvalidParameter, MayNotReadSegments, NoSuchMerchant};
use crate::api::segments::{named_merchant, Segments, SegmentsQuery};
use crate::routes::rights::merchant_named;

/// Value tiers with customer counts and value shares, the Pareto curve, the RFM distribution
/// and lifecycle-stage counts (a merchant: its own customers; staff: everyone's, or one
/// merchant's). Value is each customer's freight spend over the trailing 12 months (UTC days)
/// ending today, RFM's frequency their shipments in those months.
#[utoipa::path(get, path = "/api/v1/analytics/segments", tag = "analytics", params(SegmentsQuery),
    responses((status = 200, description = "The customer segments", body = Segments),
        NoValidToken, MayNotReadSegments, InvalidParameter, NoSuchMerchant))]
pub async fn get_segments(
    caller: Authorized<caps::Analytics>,
    query: Query<SegmentsQuery>,
    deps: Deps,
) -> Result<HttpResponse, ApiError> {
    let named = named_merchant(query.merchant_id.as_deref())?;
    let merchant = merchant_named(&caller, named)?;
    let today = deps.clock.now().date_naive();
    let segments = db::run(&deps.pool, move |conn| {
        let rows = crate::db::segments::segments(conn, merchant, today)?;
        Ok(super::segments(rows))
    })
    .await?;
    Ok(HttpResponse::Ok().json(segments))
}
