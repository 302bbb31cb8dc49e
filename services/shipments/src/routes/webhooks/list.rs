//! `GET /api/v1/webhooks`.

use actix_web::web;
use kuaidi_shared::capabilities::{caps, Authorized};
use kuaidi_shared::db;
use kuaidi_shared::deps::Deps;
use kuaidi_shared::extract::Query;
use kuaidi_shared::openapi::NoValidToken;
use kuaidi_shared::pagination::{Cursor, Page, PageParams};
use kuaidi_shared::ApiError;

use crate::api::problems::{BadFilter, MayNotManageWebhooks};
use crate::api::webhooks::{WebhookList, WebhookListQuery};
use crate::db::webhooks::{self as repo, SubscriptionFilter};

/// The subscriptions in the caller's scope — its own; an admin's: every one, each naming its
/// `owner` — oldest first, cursor-paginated, optionally of one owner (secrets are not shown).
#[utoipa::path(get, path = "/api/v1/webhooks", tag = "webhooks", params(WebhookListQuery),
    responses((status = 200, description = "A page of the caller's subscriptions (an admin's: everyone's)", body = WebhookList),
        NoValidToken, MayNotManageWebhooks, BadFilter))]
pub async fn list_webhooks(
    caller: Authorized<caps::Webhooks>,
    query: Query<WebhookListQuery>,
    deps: Deps,
) -> Result<web::Json<WebhookList>, ApiError> {
    let scope = super::scope_of(&caller)?;
    let q = query.into_inner();
    let (limit, after) = PageParams {
        limit: q.limit,
        cursor: q.cursor,
    }
    .parse()?;
    let filter = SubscriptionFilter {
        merchant_id: q.merchant_id,
        owner_sub: q.owner_sub,
        after,
    };
    let rows = db::run(&deps.pool, move |conn| {
        Ok(repo::list_subscriptions(conn, &scope, &filter, limit)?)
    })
    .await?;
    let key = |r: &repo::SubscriptionRow| Cursor {
        at: r.created_at,
        id: r.id,
    };
    let page = Page::from_rows(rows, limit, key, super::view::webhook);
    Ok(web::Json(WebhookList {
        data: page.data,
        next_cursor: page.next_cursor,
    }))
}
