//! `PATCH /api/v1/webhooks/{id}`.

use actix_web::http::header::{ETag, EntityTag};
use actix_web::{web, HttpRequest, HttpResponse};
use kuaidi_shared::capabilities::{caps, Authorized};
use kuaidi_shared::db;
use kuaidi_shared::deps::Deps;
use kuaidi_shared::extract::Json;
use kuaidi_shared::openapi::NoValidToken;
use kuaidi_shared::ApiError;
use uuid::Uuid;

use crate::api::problems::{BadWebhook, MayNotManageWebhooks, NoSuchWebhook, StaleWebhook};
use crate::api::webhooks::{UpdateWebhook, UpdatedWebhook};
use crate::configuration::WebhookSettings;
use crate::db::webhook_endpoints as endpoints;
use crate::workflow::webhooks::registration::{EditRequest, WebhookEdit};
use crate::workflow::webhooks::Wake;

/// Changes the fields given, each checked as on registration: the URL, the event types,
/// `enabled` (`true` enables a disabled endpoint with a clean record, `false` disables it) and
/// the signing secret (`rotate_secret: true` generates one; the new secret is shown once, in
/// this answer). `If-Match` (the `ETag` of a read, optional) naming an older version is a
/// `412`. A change makes a new version and `ETag`; naming only what already holds changes
/// nothing.
#[utoipa::path(patch, path = "/api/v1/webhooks/{id}", tag = "webhooks",
    params(("id" = Uuid, Path, description = "The subscription"),
        ("If-Match" = Option<String>, Header, description = "ETag of the version edited")),
    request_body = UpdateWebhook,
    responses((status = 200, description = "The subscription after the change; `ETag` names its version", body = UpdatedWebhook),
        NoValidToken, MayNotManageWebhooks, NoSuchWebhook, StaleWebhook, BadWebhook))]
pub async fn update_webhook(
    req: HttpRequest,
    caller: Authorized<caps::Webhooks>,
    path: web::Path<Uuid>,
    body: Json<UpdateWebhook>,
    deps: Deps,
    settings: web::Data<WebhookSettings>,
    wake: web::Data<Wake>,
) -> Result<HttpResponse, ApiError> {
    let scope = super::scope_of(&caller)?;
    let (id, expected, b) = (path.into_inner(), super::if_match(&req), body.into_inner());
    let asked = EditRequest {
        url: b.url,
        events: b.events,
        secret: b.secret,
        rotate_secret: b.rotate_secret,
        enabled: b.enabled,
    };
    let edit = WebhookEdit::parse(asked, settings.allow_private_targets).await?;
    let (now, pii, secret) = (
        deps.clock.now_micros(),
        deps.pii.clone(),
        edit.secret.clone(),
    );
    let enabling = edit.enabled == Some(true);
    let row = db::transaction(&deps.pool, move |conn| {
        let mut sub = super::visible_for_update(conn, id, &scope)?;
        super::check_if_match(expected.as_deref(), &sub)?;
        if edit.apply(&mut sub, &pii, now) {
            endpoints::save_edit(conn, &sub)?;
        }
        Ok(sub)
    })
    .await?;
    if enabling {
        // Deliveries that waited while the endpoint was disabled are due.
        wake.wake();
    }
    Ok(HttpResponse::Ok()
        .insert_header(ETag(EntityTag::new_strong(super::view::etag(&row))))
        .json(super::view::updated(row, secret)))
}
