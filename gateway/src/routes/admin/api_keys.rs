//! `/api/v1/api-keys`: merchant API keys (`X-Api-Key`), shown once, stored as SHA-256.

use actix_web::{web, HttpRequest, HttpResponse};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use kuaidi_shared::capabilities::{caps, Authorized};
use kuaidi_shared::clock::new_id;
use kuaidi_shared::deps::Deps;
use kuaidi_shared::events::catalogue::ApiKeyRevokedV1;
use kuaidi_shared::extract::{Json, Query};
use kuaidi_shared::openapi::{Forbidden, NotFound, NotModified, Unprocessable};
use kuaidi_shared::ApiError;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::{Page, PageParams, Revoked};
use crate::db::api_keys::{self as repo, ApiKeyRow};
use crate::db::schema::api_keys;
use crate::domain::accounts;
use crate::edge::API_KEY_PREFIX;
use crate::tokens;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"name": "Shop A tracking sync", "merchant_id": "0193a0c4-8a6e-7c1a-9a51-5f0c2b1d7e01"}))]
pub struct CreateApiKey {
    /// 1–200 bytes of text, not only spaces.
    #[schema(min_length = 1, max_length = 200)]
    pub name: String,
    pub merchant_id: Uuid,
}

/// An API key; `key` only in the answer to its creation.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ApiKey {
    pub id: Uuid,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    pub name: String,
    pub merchant_id: Uuid,
    /// The first characters of the key, to recognise it.
    pub prefix: String,
    pub revoked_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

impl From<ApiKeyRow> for ApiKey {
    fn from(r: ApiKeyRow) -> Self {
        Self {
            id: r.id,
            key: None,
            name: r.name,
            merchant_id: r.merchant_id,
            prefix: r.prefix,
            revoked_at: r.revoked_at,
            created_at: r.created_at,
        }
    }
}

/// Issues a key for a merchant; the key is shown once.
#[utoipa::path(post, path = "/api/v1/api-keys", tag = "admin", request_body = CreateApiKey,
    responses((status = 201, description = "Created; the key is shown this once", body = ApiKey),
        Forbidden, Unprocessable))]
pub async fn create_api_key(
    admin: super::AdminCall,
    body: Json<CreateApiKey>,
) -> Result<HttpResponse, ApiError> {
    let b = body.into_inner();
    let mut errors = Vec::new();
    accounts::name(&mut errors, &b.name);
    accounts::valid(errors).map_err(ApiError::Validation)?;
    let key = format!("kd_live_{}", tokens::secret());
    let (id, merchant_id) = (new_id(), b.merchant_id);
    let row = ApiKeyRow {
        id,
        name: b.name.trim().to_owned(),
        merchant_id,
        prefix: key[..12].to_owned(),
        key_hash: tokens::digest(&key),
        revoked_at: None,
        created_at: admin.now(),
        created_by: admin.sub.clone(),
    };
    let row = admin.insert(row, repo::insert).await?;
    let entry = admin
        .entry("api_key.create", id)
        .details(serde_json::json!({"merchant_id": merchant_id}));
    admin.audit(entry).await;
    let mut out = ApiKey::from(row);
    out.key = Some(key);
    Ok(super::issued(format!("/api/v1/api-keys/{id}"), out))
}

/// Filters of `GET /api/v1/api-keys`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ApiKeyFilters {
    /// Only the keys of this merchant.
    pub merchant_id: Option<Uuid>,
}

/// Lists keys (never the keys themselves), newest first; `merchant_id` keeps one merchant's.
#[utoipa::path(get, path = "/api/v1/api-keys", tag = "admin", params(ApiKeyFilters, PageParams),
    responses((status = 200, description = "A page of API keys (never the keys themselves)", body = Page<ApiKey>),
        Forbidden, Unprocessable))]
pub async fn list_api_keys(
    _admin: Authorized<caps::Administration>,
    filters: Query<ApiKeyFilters>,
    page: Query<PageParams>,
    deps: Deps,
) -> Result<HttpResponse, ApiError> {
    let merchant_id = filters.into_inner().merchant_id;
    super::newest_page!(
        deps.pool,
        page,
        api_keys,
        ApiKeyRow,
        ApiKey::from,
        api_keys::merchant_id = merchant_id
    )
}

/// One API key (without its key), with an `ETag`.
#[utoipa::path(get, path = "/api/v1/api-keys/{id}", tag = "admin", params(("id" = Uuid, Path)),
    responses((status = 200, description = "The API key", body = ApiKey),
        NotModified, Forbidden, NotFound))]
pub async fn get_api_key(
    req: HttpRequest,
    _admin: Authorized<caps::Administration>,
    path: web::Path<Uuid>,
    deps: Deps,
) -> Result<HttpResponse, ApiError> {
    let id = ("API key", path.into_inner());
    let revoked_at = |r: &ApiKeyRow| r.revoked_at;
    super::credential(&req, &deps.pool, id, repo::find, revoked_at, ApiKey::from).await
}

/// Revokes a key.
#[utoipa::path(delete, path = "/api/v1/api-keys/{id}", tag = "admin", params(("id" = Uuid, Path)),
    responses((status = 204, description = "Revoked"),
        NotFound))]
pub async fn revoke_api_key(
    revocation: super::Revocation,
    path: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    revocation
        .run("api_key.revoke", "api key", id, move |conn, now| {
            let live = api_keys::table
                .find(id)
                .filter(api_keys::revoked_at.is_null());
            let merchant: Option<Uuid> = diesel::update(live)
                .set(api_keys::revoked_at.eq(Some(now)))
                .returning(api_keys::merchant_id)
                .get_result(conn)
                .optional()?;
            let payload = merchant.map(|merchant_id| ApiKeyRevokedV1 {
                api_key_id: id,
                merchant_id,
                subject: format!("{API_KEY_PREFIX}{id}"),
                revoked_at: now,
            });
            Ok(Revoked::now_or(payload, repo::find(conn, id)?.is_some()))
        })
        .await
}
