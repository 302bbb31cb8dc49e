//! `GET /api/v1/analytics/churn-risk`.

use actix_web::HttpResponse;
use kuaidi_shared::capabilities::{caps, Authorized};
use kuaidi_shared::db;
use kuaidi_shared::deps::Deps;
use kuaidi_shared::extract::Query;
use kuaidi_shared::openapi::NoValidToken;
use kuaidi_shared::pagination::{Cursor, Page, PageParams};
use kuaidi_shared::ApiError;

use crate::api::problems::{BadPage, MayNotReadChurnRisk};
use crate::api::segments::ChurnRisk;
use crate::routes::rights::merchant_scope;

/// Customers currently at risk of churning, with the drop measured (shipments in the last 30
/// days against their 90-day monthly average), latest detections first.
#[utoipa::path(get, path = "/api/v1/analytics/churn-risk", tag = "analytics", params(PageParams),
    responses((status = 200, description = "A page of customers at risk", body = inline(Page<ChurnRisk>)),
        NoValidToken, MayNotReadChurnRisk, BadPage))]
pub async fn get_churn_risk(
    caller: Authorized<caps::Analytics>,
    page: Query<PageParams>,
    deps: Deps,
) -> Result<HttpResponse, ApiError> {
    let merchant = merchant_scope(&caller)?;
    let (limit, after) = page.parse()?;
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
