//! `GET /api/v1/webhooks/{id}/deliveries` and
//! `POST /api/v1/webhooks/{id}/deliveries/{delivery_id}:redeliver`.

use actix_web::{web, HttpResponse};
use kuaidi_shared::capabilities::{caps, Authorized};
use kuaidi_shared::db;
use kuaidi_shared::deps::Deps;
use kuaidi_shared::extract::Query;
use kuaidi_shared::openapi::NoValidToken;
use kuaidi_shared::pagination::{Cursor, Page, PageParams};
use kuaidi_shared::ApiError;
use uuid::Uuid;

use crate::api::problems::{BadPage, NoSuchDelivery, NoSuchWebhook};
use crate::api::webhooks::{WebhookDelivery, WebhookDeliveryPage};
use crate::db::webhook_attempts as attempts;
use crate::db::webhooks as repo;
use crate::workflow::webhooks::Wake;

/// The subscription's deliveries, newest first, cursor-paginated.
#[utoipa::path(get, path = "/api/v1/webhooks/{id}/deliveries", tag = "webhooks",
    params(("id" = Uuid, Path, description = "The subscription"), PageParams),
    responses((status = 200, description = "A page of deliveries", body = WebhookDeliveryPage),
        NoValidToken, NoSuchWebhook, BadPage))]
pub async fn list_deliveries(
    caller: Authorized<caps::Webhooks>,
    path: web::Path<Uuid>,
    page: Query<PageParams>,
    deps: Deps,
) -> Result<web::Json<WebhookDeliveryPage>, ApiError> {
    let scope = super::scope_of(&caller)?;
    let (limit, cursor) = page.parse()?;
    let id = path.into_inner();
    let rows = db::run(&deps.pool, move |conn| {
        let sub = super::visible(conn, id, &scope)?;
        Ok(repo::list_deliveries(conn, sub.id, limit, cursor)?)
    })
    .await?;
    let page = Page::from_rows(
        rows,
        limit,
        |r| Cursor {
            at: r.created_at,
            id: r.id,
        },
        super::view::delivery,
    );
    Ok(web::Json(WebhookDeliveryPage {
        data: page.data,
        next_cursor: page.next_cursor,
    }))
}

/// Sends the delivery once more, now, whatever its status: one attempt more, beside its
/// automatic retries, which it leaves where they were — it takes no step of the retry schedule
/// and moves the next automatic attempt neither sooner nor later. Taken by the endpoint (2xx),
/// the delivery is `succeeded`; otherwise it stays as it was: a `pending` one goes on with its
/// schedule, a `failed` one (its retries over) stays `failed` and is not retried, a
/// `succeeded` one stays `succeeded`. A re-send asked for already and not made yet stands (one
/// re-send, not two); a disabled endpoint gets it once enabled again.
#[utoipa::path(post, path = "/api/v1/webhooks/{id}/deliveries/{delivery_id}:redeliver",
    tag = "webhooks",
    params(("id" = Uuid, Path, description = "The subscription"), ("delivery_id" = Uuid, Path, description = "The delivery"),),
    responses((status = 202, description = "The delivery as it stands, its re-send queued to be sent now", body = WebhookDelivery),
        NoValidToken, NoSuchDelivery))]
pub async fn redeliver(
    caller: Authorized<caps::Webhooks>,
    path: web::Path<(Uuid, Uuid)>,
    deps: Deps,
    wake: web::Data<Wake>,
) -> Result<HttpResponse, ApiError> {
    let scope = super::scope_of(&caller)?;
    let (id, delivery_id) = path.into_inner();
    let now = deps.clock.now_micros();
    let row = db::transaction(&deps.pool, move |conn| {
        let sub = super::visible(conn, id, &scope)?;
        repo::find_delivery(conn, sub.id, delivery_id)?.ok_or(ApiError::NotFound("delivery"))?;
        Ok(attempts::request_resend(conn, delivery_id, now)?)
    })
    .await?;
    wake.wake();
    Ok(HttpResponse::Accepted().json(super::view::delivery(row)))
}
