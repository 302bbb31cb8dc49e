//! `GET /api/v1/analytics/alerts`.

use actix_web::HttpResponse;
use kuaidi_shared::capabilities::{caps, Authorized};
use kuaidi_shared::db;
use kuaidi_shared::deps::Deps;
use kuaidi_shared::extract::Query;
use kuaidi_shared::openapi::NoValidToken;
use kuaidi_shared::pagination::{Cursor, Page, PageParams};
use kuaidi_shared::{ApiError, FieldError};

use crate::api::problems::{BadAlertQuery, MayNotReadAlerts};
use crate::api::reports::{Alert, AlertPage, AlertQuery};
use crate::domain::alerts::AlertStatus;
use crate::routes::rights::full_analytics;

/// Early-warning alerts, newest first: complaint spikes per (city, category) and hubs whose
/// on-time rate fell, optionally only `open` or `acknowledged` ones.
#[utoipa::path(get, path = "/api/v1/analytics/alerts", tag = "analytics", params(AlertQuery),
    responses((status = 200, description = "A page of alerts", body = AlertPage),
        NoValidToken, MayNotReadAlerts, BadAlertQuery))]
pub async fn list_alerts(
    caller: Authorized<caps::Analytics>,
    query: Query<AlertQuery>,
    deps: Deps,
) -> Result<HttpResponse, ApiError> {
    full_analytics(&caller)?;
    let q = query.into_inner();
    let status = match q.status.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None => None,
        Some(s) => Some(s.parse::<AlertStatus>().map_err(|_| {
            ApiError::Validation(vec![FieldError::new(
                "status",
                "must be open or acknowledged",
            )])
        })?),
    };
    let (limit, after) = PageParams {
        limit: q.limit,
        cursor: q.cursor,
    }
    .parse()?;
    let rows = db::run(&deps.pool, move |conn| {
        Ok(crate::db::alerts::list(conn, status, limit, after)?)
    })
    .await?;
    let key = |r: &crate::db::alerts::AlertRow| Cursor {
        at: r.raised_at,
        id: r.id,
    };
    let page = Page::from_rows(rows, limit, key, Alert::from);
    Ok(HttpResponse::Ok().json(AlertPage {
        data: page.data,
        next_cursor: page.next_cursor,
    }))
}
