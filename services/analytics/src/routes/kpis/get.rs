//! `GET /api/v1/analytics/kpis`.

use actix_web::{web, HttpResponse};
use chrono::Utc;
use kuaidi_shared::auth::Role;
use kuaidi_shared::capabilities::{caps, Authorized};
use kuaidi_shared::db::{self, PgPool};
use kuaidi_shared::problem::Problem;
use kuaidi_shared::ApiError;

use crate::api::kpis::{KpiQuery, KpiReport, KpiRow};
use crate::db::rollup;
use crate::domain::definitions::DEFINITIONS_VERSION;
use crate::domain::query::KpiRequest;
use crate::domain::report;

/// KPIs per day, week or month, summed from the daily rollups. Merchants see only their own
/// figures.
#[utoipa::path(
    get,
    path = "/api/v1/analytics/kpis",
    tag = "analytics",
    params(KpiQuery),
    responses(
        (status = 200, description = "One row per period, in order, periods without activity included with zeros", body = KpiReport),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The role may not read these KPIs (agents' own figures are not available yet)", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid date, reversed or too long range (over 400 periods), unknown granularity, unsupported `tz` or `value_tier`; `errors` names each field", body = Problem, content_type = "application/problem+json",
            example = json!({"type": "https://kuaidi.dev/problems/validation_failed", "title": "Validation failed", "status": 422,
                "detail": "1 field is invalid", "instance": "/api/v1/analytics/kpis", "code": "validation_failed",
                "errors": [{"field": "granularity", "message": "must be day, week or month"}]})),
    ),
    security(("bearer" = []))
)]
pub async fn get_kpis(
    caller: Authorized<caps::Analytics>,
    query: web::Query<KpiQuery>,
    pool: web::Data<PgPool>,
) -> Result<HttpResponse, ApiError> {
    // NOTE: SPEC §3 gives agents their "own stats", which need each case's assignee; no
    // complaint assignment data reaches analytics yet, so agents are refused rather than
    // shown everyone's figures.
    if caller.role == Role::Agent {
        return Err(ApiError::Forbidden(
            "agents' own figures are not available yet".into(),
        ));
    }
    let mut request = KpiRequest::parse(query.into_inner(), Utc::now().date_naive())?;
    if caller.role == Role::Merchant {
        // NOTE: tenant isolation — a merchant's own figures, whatever `merchant_id` it asks for.
        let own = caller
            .merchant_id
            .ok_or_else(|| ApiError::Forbidden("merchant token without merchant_id".into()))?;
        request.filter.merchant_id = Some(own);
    }
    let range = request.range;
    let (first, last) = range.days();
    let sums = db::run(&pool, move |conn| {
        Ok(rollup::sums(
            conn,
            range.granularity,
            first,
            last,
            &request.filter,
        )?)
    })
    .await?;
    Ok(HttpResponse::Ok().json(KpiReport {
        data: report::fill(&range, &sums)
            .into_iter()
            .map(KpiRow::from)
            .collect(),
        definitions_version: DEFINITIONS_VERSION.into(),
    }))
}
