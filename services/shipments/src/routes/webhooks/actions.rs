//! `POST /api/v1/webhooks/{id}:test` and `POST /api/v1/webhooks/{id}:replay`.

use actix_web::{web, HttpResponse};
use chrono::{Duration, SubsecRound};
use kuaidi_shared::capabilities::{caps, Authorized};
use kuaidi_shared::db;
use kuaidi_shared::deps::Deps;
use kuaidi_shared::extract::Json;
use kuaidi_shared::openapi::NoValidToken;
use kuaidi_shared::ApiError;
use uuid::Uuid;

use crate::api::problems::{BadSince, NoSuchWebhook};
use crate::api::webhooks::{ReplayResult, ReplayWebhook, WebhookDelivery};
use crate::db::webhook_attempts as attempts;
use crate::db::webhook_endpoints as endpoints;
use crate::db::webhooks::{self as repo, DeliveryRow};
use crate::workflow::webhooks::{self, Wake};

/// How far back `:replay` reaches (SPEC §5: the last 30 days).
const REPLAY_WINDOW_DAYS: i64 = 30;

/// Sends a signed sample `webhook.test` event to the endpoint now (through the delivery queue,
/// so it is recorded, checked and retried like any other).
#[utoipa::path(post, path = "/api/v1/webhooks/{id}:test", tag = "webhooks",
    params(("id" = Uuid, Path, description = "The subscription")),
    responses((status = 202, description = "The test delivery, queued to be sent now", body = WebhookDelivery),
        NoValidToken, NoSuchWebhook))]
pub async fn test_webhook(
    caller: Authorized<caps::Webhooks>,
    path: web::Path<Uuid>,
    deps: Deps,
    wake: web::Data<Wake>,
) -> Result<HttpResponse, ApiError> {
    let scope = super::scope_of(&caller)?;
    let id = path.into_inner();
    // To the microsecond PostgreSQL keeps: the answered delivery is what the list shows.
    let now = deps.clock.now_micros();
    let row = db::transaction(&deps.pool, move |conn| {
        let sub = super::visible(conn, id, &scope)?;
        let event = webhooks::test_event(&sub, now);
        let payload = serde_json::to_value(&event).map_err(anyhow::Error::from)?;
        let row = DeliveryRow::pending(sub.id, event.id, &event.type_, payload, now);
        repo::insert_deliveries(conn, std::slice::from_ref(&row))?;
        Ok(row)
    })
    .await?;
    wake.wake();
    Ok(HttpResponse::Accepted().json(super::view::delivery(row)))
}

/// Sends once more, now, every delivery since `since` (at most 30 days back) that did not
/// succeed, so a receiver that was down loses nothing. Each re-send is one attempt beside the
/// delivery's automatic retries, as with `:redeliver`: it takes no step of the retry schedule and
/// moves no next attempt; a delivery the endpoint takes is `succeeded`, one it does not stays as
/// it was (`pending` on its schedule, or `failed` and not retried). A disabled endpoint is
/// enabled again: events that arrived while it was disabled were kept for this.
#[utoipa::path(post, path = "/api/v1/webhooks/{id}:replay", tag = "webhooks",
    params(("id" = Uuid, Path, description = "The subscription")), request_body = ReplayWebhook,
    responses((status = 202, description = "A re-send of each queued to be sent now", body = ReplayResult),
        NoValidToken, NoSuchWebhook, BadSince))]
pub async fn replay_webhook(
    caller: Authorized<caps::Webhooks>,
    path: web::Path<Uuid>,
    body: Json<ReplayWebhook>,
    deps: Deps,
    wake: web::Data<Wake>,
) -> Result<HttpResponse, ApiError> {
    let scope = super::scope_of(&caller)?;
    let id = path.into_inner();
    let now = deps.clock.now_micros();
    // The microsecond the query compares with, answered as it was used.
    let since = body
        .since
        .trunc_subsecs(6)
        .max(now - Duration::days(REPLAY_WINDOW_DAYS));
    let requeued = db::transaction(&deps.pool, move |conn| {
        let sub = super::visible(conn, id, &scope)?;
        if sub.disabled_at.is_some() {
            endpoints::enable_endpoint(conn, sub.id)?;
        }
        Ok(attempts::request_resends(conn, sub.id, since, now)?)
    })
    .await?;
    wake.wake();
    Ok(HttpResponse::Accepted().json(ReplayResult {
        requeued: i64::try_from(requeued).unwrap_or(i64::MAX),
        since,
    }))
}
