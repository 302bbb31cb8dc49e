//! `GET /api/v1/webhooks`.

use actix_web::web;
use kuaidi_shared::capabilities::{caps, Authorized};
use kuaidi_shared::db;
use kuaidi_shared::deps::Deps;
use kuaidi_shared::openapi::NoValidToken;
use kuaidi_shared::ApiError;

use crate::api::problems::MayNotManageWebhooks;
use crate::api::webhooks::WebhookList;
use crate::db::webhooks as repo;

/// The caller's own subscriptions, oldest first (secrets are not shown).
#[utoipa::path(get, path = "/api/v1/webhooks", tag = "webhooks",
    responses((status = 200, description = "The caller's subscriptions", body = WebhookList),
        NoValidToken, MayNotManageWebhooks))]
pub async fn list_webhooks(
    caller: Authorized<caps::Webhooks>,
    deps: Deps,
) -> Result<web::Json<WebhookList>, ApiError> {
    let owner = super::owner_of(&caller)?;
    let rows = db::run(&deps.pool, move |conn| {
        Ok(repo::list_subscriptions(conn, &owner)?)
    })
    .await?;
    Ok(web::Json(WebhookList {
        data: rows.into_iter().map(super::view::webhook).collect(),
        next_cursor: None,
    }))
}
