//! `GET /api/v1/analytics/churn-risk`.

use actix_web::HttpResponse;
use kuaidi_shared::capabilities::{caps, Authorized};
use kuaidi_shared::db;
use kuaidi_shared::deps::Deps;
use kuaidi_shared::extract::Query;
use kuaidi_shared::openapi::NoValidToken;
use kuaidi_shared::pagination::{Cursor, Page};
use kuaidi_shared::ApiError;

use crate::api::problems::{BadRiskQuery, MayNotReadChurnRisk, NoSuchMerchant};
use crate::api::segments::{named_merchant, ChurnRisk, ChurnRiskQuery};
use crate::routes::rights::merchant_named;

/// Customers currently at risk of churning, with the drop measured (shipments in the last 30
/// days against their 90-day monthly average), latest detections first (a merchant: its own
/// customers; staff: everyone's, or one merchant's).
#[utoipa::path(get, path = "/api/v1/analytics/churn-risk", tag = "analytics", params(ChurnRiskQuery),
    responses((status = 200, description = "A page of customers at risk", body = inline(Page<ChurnRisk>)),
        NoValidToken, MayNotReadChurnRisk, BadRiskQuery, NoSuchMerchant))]
pub async fn get_churn_risk(
    caller: Authorized<caps::Analytics>,
    query: Query<ChurnRiskQuery>,
    deps: Deps,
) -> Result<HttpResponse, ApiError> {
    let named = named_merchant(query.merchant_id.as_deref())?;
    let merchant = merchant_named(&caller, named)?;
    let (limit, after) = query.page().parse()?;
    let rows = db::run(&deps.pool, move |conn| {
        let rows = crate::db::segments::churn_risk(conn, merchant, limit, after)?;
        Ok(rows.into_iter().map(super::churn_risk).collect::<Vec<_>>())
    })
    .await?;
    let key = |r: &ChurnRisk| Cursor {
        at: r.detected_at,
        id: r.customer_id,
    };
    Ok(HttpResponse::Ok().json(Page::from_rows(rows, limit, key, |r| r)))
}
