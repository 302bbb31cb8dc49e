//! `GET /api/v1/webhooks/{id}`.

use actix_web::{web, HttpRequest, HttpResponse};
use kuaidi_shared::capabilities::{caps, Authorized};
use kuaidi_shared::db;
use kuaidi_shared::deps::Deps;
use kuaidi_shared::http::respond_with_etag;
use kuaidi_shared::openapi::{NoValidToken, NotModified};
use kuaidi_shared::ApiError;
use uuid::Uuid;

use crate::api::problems::{MayNotManageWebhooks, NoSuchWebhook};
use crate::api::webhooks::Webhook;

/// One subscription — the caller's own, or any for an admin — as the list shows it (never its
/// secret), with its `ETag` for `If-None-Match` and for the `If-Match` of a `PATCH`.
#[utoipa::path(get, path = "/api/v1/webhooks/{id}", tag = "webhooks",
    params(("id" = Uuid, Path, description = "The subscription")),
    responses((status = 200, description = "The subscription; `ETag` names its version", body = Webhook),
        NotModified, NoValidToken, MayNotManageWebhooks, NoSuchWebhook))]
pub async fn get_webhook(
    req: HttpRequest,
    caller: Authorized<caps::Webhooks>,
    path: web::Path<Uuid>,
    deps: Deps,
) -> Result<HttpResponse, ApiError> {
    let scope = super::scope_of(&caller)?;
    let id = path.into_inner();
    let row = db::run(&deps.pool, move |conn| super::visible(conn, id, &scope)).await?;
    let tag = super::view::etag(&row);
    Ok(respond_with_etag(&req, &tag, &super::view::webhook(row)))
}
