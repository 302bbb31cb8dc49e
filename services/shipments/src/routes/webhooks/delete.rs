//! `DELETE /api/v1/webhooks/{id}`.

use actix_web::{web, HttpResponse};
use kuaidi_shared::capabilities::{caps, Authorized};
use kuaidi_shared::db;
use kuaidi_shared::deps::Deps;
use kuaidi_shared::openapi::NoValidToken;
use kuaidi_shared::ApiError;
use uuid::Uuid;

use crate::api::problems::NoSuchWebhook;
use crate::db::webhooks as repo;

/// Removes a subscription — the caller's own, or any for an admin — and its deliveries.
#[utoipa::path(delete, path = "/api/v1/webhooks/{id}", tag = "webhooks",
    params(("id" = Uuid, Path, description = "The subscription")),
    responses((status = 204, description = "Deleted"),
        NoValidToken, NoSuchWebhook))]
pub async fn delete_webhook(
    caller: Authorized<caps::Webhooks>,
    path: web::Path<Uuid>,
    deps: Deps,
) -> Result<HttpResponse, ApiError> {
    let scope = super::scope_of(&caller)?;
    let id = path.into_inner();
    // Deleting takes the subscription's deliveries along, which the delivery worker may hold
    // locked while it records an attempt: PostgreSQL then gives one of the two up.
    db::transaction_retried(&deps.pool, move |conn| {
        let sub = super::visible(conn, id, &scope)?;
        repo::delete_subscription(conn, sub.id)?;
        Ok(())
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}
