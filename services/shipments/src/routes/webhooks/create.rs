//! `POST /api/v1/webhooks`.

use actix_web::http::header::{ETag, EntityTag, LOCATION};
use actix_web::{web, HttpResponse};
use kuaidi_shared::capabilities::{caps, Authorized};
use kuaidi_shared::clock::new_id;
use kuaidi_shared::db;
use kuaidi_shared::deps::Deps;
use kuaidi_shared::extract::Json;
use kuaidi_shared::openapi::NoValidToken;
use kuaidi_shared::ApiError;

use crate::api::problems::{BadWebhook, MayNotManageWebhooks};
use crate::api::webhooks::{CreateWebhook, CreatedWebhook};
use crate::configuration::WebhookSettings;
use crate::db::webhooks::{self as repo, Owner, SubscriptionRow};
use crate::workflow::webhooks::registration::NewWebhook;

/// Registers an endpoint for the caller; the answer carries the signing secret, shown once,
/// and the `ETag` of the subscription's first version.
#[utoipa::path(post, path = "/api/v1/webhooks", tag = "webhooks", request_body = CreateWebhook,
    responses((status = 201, description = "Registered; `Location` names the subscription", body = CreatedWebhook),
        NoValidToken, MayNotManageWebhooks, BadWebhook))]
pub async fn create_webhook(
    caller: Authorized<caps::Webhooks>,
    body: Json<CreateWebhook>,
    deps: Deps,
    settings: web::Data<WebhookSettings>,
) -> Result<HttpResponse, ApiError> {
    let owner = super::owner_of(&caller)?;
    let body = body.into_inner();
    let allow_private = settings.allow_private_targets;
    let new = NewWebhook::parse(&body.url, &body.events, body.secret, allow_private).await?;
    let (merchant_id, owner_sub) = match owner {
        Owner::Merchant(m) => (Some(m), None),
        Owner::Subject(s) => (None, Some(s)),
    };
    let row = SubscriptionRow {
        id: new_id(),
        merchant_id,
        owner_sub,
        url: new.url,
        events: new.events,
        secret_sealed: deps.pii.seal(new.secret.as_bytes()),
        failing_since: None,
        disabled_at: None,
        // To the microsecond PostgreSQL keeps: the answer is what a read shows.
        created_at: deps.clock.now_micros(),
        version: 1,
    };
    let stored = db::run(&deps.pool, move |conn| {
        repo::insert_subscription(conn, &row)?;
        Ok(row)
    })
    .await?;
    Ok(HttpResponse::Created()
        .insert_header((LOCATION, format!("/api/v1/webhooks/{}", stored.id)))
        .insert_header(ETag(EntityTag::new_strong(super::view::etag(&stored))))
        .json(super::view::created(stored, new.secret)))
}
