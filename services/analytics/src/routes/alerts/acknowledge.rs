//! `POST /api/v1/analytics/alerts/{id}:acknowledge`.

use actix_web::{web, HttpResponse};
use kuaidi_shared::capabilities::{caps, Authorized};
use kuaidi_shared::db;
use kuaidi_shared::deps::Deps;
use kuaidi_shared::openapi::NoValidToken;
use kuaidi_shared::ApiError;
use uuid::Uuid;

use crate::api::problems::{AlreadyAcknowledged, MayNotAcknowledgeAlerts, NoSuchAlert};
use crate::api::reports::Alert;
use crate::routes::rights::full_analytics;

/// Acknowledges an open alert (someone is on it); an alert already acknowledged is `409`.
#[utoipa::path(post, path = "/api/v1/analytics/alerts/{id}:acknowledge", tag = "analytics",
    params(("id" = Uuid, Path, description = "The alert")),
    responses((status = 200, description = "The acknowledged alert", body = Alert),
        NoValidToken, MayNotAcknowledgeAlerts, NoSuchAlert, AlreadyAcknowledged))]
pub async fn acknowledge_alert(
    caller: Authorized<caps::Analytics>,
    id: web::Path<String>,
    deps: Deps,
) -> Result<HttpResponse, ApiError> {
    full_analytics(&caller)?;
    let id = Uuid::parse_str(&id).map_err(|_| ApiError::NotFound("alert"))?;
    let (by, now) = (caller.sub.clone(), deps.clock.now());
    let outcome = db::transaction(&deps.pool, move |conn| {
        Ok(crate::db::alerts::acknowledge(conn, id, &by, now)?)
    })
    .await?;
    match outcome {
        None => Err(ApiError::NotFound("alert")),
        Some(Err(status)) => Err(ApiError::Conflict {
            code: "alert_not_open",
            detail: format!("the alert is {status}, not open"),
        }),
        Some(Ok(row)) => Ok(HttpResponse::Ok().json(Alert::from(row))),
    }
}
