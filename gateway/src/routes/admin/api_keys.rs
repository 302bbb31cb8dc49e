//! `/api/v1/api-keys`: merchant API keys (`X-Api-Key`), shown once, stored as SHA-256.

use actix_web::http::header::LOCATION;
use actix_web::{web, HttpRequest, HttpResponse};
use base64::Engine;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use kuaidi_shared::capabilities::{caps, Authorized};
use kuaidi_shared::db::{self, PgPool};
use kuaidi_shared::openapi::{Forbidden, NotFound, Unprocessable};
use kuaidi_shared::request::RequestContext;
use kuaidi_shared::{ApiError, FieldError};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::{Cursor, Page, PageParams};
use crate::audit::{Audit, Auditor};
use crate::db::schema::api_keys;
use crate::edge::Edge;
use crate::tokens;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"name": "Shop A tracking sync", "merchant_id": "0193a0c4-8a6e-7c1a-9a51-5f0c2b1d7e01"}))]
pub struct CreateApiKey {
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

type Row = (
    Uuid,
    String,
    Uuid,
    String,
    Option<DateTime<Utc>>,
    DateTime<Utc>,
);
const COLUMNS: (
    api_keys::id,
    api_keys::name,
    api_keys::merchant_id,
    api_keys::prefix,
    api_keys::revoked_at,
    api_keys::created_at,
) = (
    api_keys::id,
    api_keys::name,
    api_keys::merchant_id,
    api_keys::prefix,
    api_keys::revoked_at,
    api_keys::created_at,
);

fn from_row(r: Row) -> ApiKey {
    ApiKey {
        id: r.0,
        key: None,
        name: r.1,
        merchant_id: r.2,
        prefix: r.3,
        revoked_at: r.4,
        created_at: r.5,
    }
}

/// Issues a key for a merchant; the key is shown once.
#[utoipa::path(post, path = "/api/v1/api-keys", tag = "admin", request_body = CreateApiKey,
    responses((status = 201, body = ApiKey), Forbidden, Unprocessable),
    security(("bearer" = [])))]
pub async fn create_api_key(
    req: HttpRequest,
    ctx: RequestContext,
    admin: Authorized<caps::Administration>,
    body: web::Json<CreateApiKey>,
    pool: web::Data<PgPool>,
    auditor: web::Data<Auditor>,
) -> Result<HttpResponse, ApiError> {
    let b = body.into_inner();
    if b.name.trim().is_empty() || b.name.len() > 200 {
        return Err(ApiError::Validation(vec![FieldError::new(
            "name",
            "is required (at most 200 characters)",
        )]));
    }
    let key = format!(
        "kd_live_{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(rand::random::<[u8; 32]>())
    );
    let prefix = key[..12].to_owned();
    let id = Uuid::now_v7();
    let (name, by, hash, merchant_id) = (
        b.name.trim().to_owned(),
        admin.sub.clone(),
        tokens::digest(&key),
        b.merchant_id,
    );
    let now = auditor.now();
    let row = db::run(&pool, move |conn| {
        diesel::insert_into(api_keys::table)
            .values((
                api_keys::id.eq(id),
                api_keys::name.eq(&name),
                api_keys::merchant_id.eq(merchant_id),
                api_keys::prefix.eq(&prefix),
                api_keys::key_hash.eq(&hash),
                api_keys::created_at.eq(now),
                api_keys::created_by.eq(&by),
            ))
            .execute(conn)?;
        Ok(api_keys::table
            .find(id)
            .select(COLUMNS)
            .first::<Row>(conn)?)
    })
    .await?;
    auditor
        .record(
            &req,
            &ctx,
            Audit::by(&admin, "api_key.create", Some(id.to_string()))
                .details(serde_json::json!({"merchant_id": merchant_id})),
        )
        .await;
    let mut out = from_row(row);
    out.key = Some(key);
    Ok(HttpResponse::Created()
        .insert_header((LOCATION, format!("/api/v1/api-keys/{id}")))
        .insert_header(("cache-control", "no-store"))
        .json(out))
}

/// Lists keys (never the keys themselves), newest first.
#[utoipa::path(get, path = "/api/v1/api-keys", tag = "admin", params(PageParams),
    responses((status = 200, body = Page<ApiKey>), Forbidden),
    security(("bearer" = [])))]
pub async fn list_api_keys(
    _admin: Authorized<caps::Administration>,
    page: web::Query<PageParams>,
    pool: web::Data<PgPool>,
) -> Result<HttpResponse, ApiError> {
    let (limit, cursor) = page.parse()?;
    let rows = db::run(&pool, move |conn| {
        Ok(super::newest_first!(api_keys, COLUMNS, cursor, limit).load::<Row>(conn)?)
    })
    .await?;
    Ok(HttpResponse::Ok().json(Page::from_rows(
        rows,
        limit,
        |r| Cursor { at: r.5, id: r.0 },
        from_row,
    )))
}

/// Revokes a key.
#[utoipa::path(delete, path = "/api/v1/api-keys/{id}", tag = "admin", params(("id" = Uuid, Path)),
    responses((status = 204, description = "Revoked"), NotFound),
    security(("bearer" = [])))]
pub async fn revoke_api_key(
    req: HttpRequest,
    ctx: RequestContext,
    admin: Authorized<caps::Administration>,
    path: web::Path<Uuid>,
    auditor: web::Data<Auditor>,
    edge: web::Data<Edge>,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    let revocation = super::Revocation {
        req: &req,
        ctx: &ctx,
        admin: &admin,
        auditor: &auditor,
        edge: &edge,
    };
    revocation
        .run("api_key.revoke", "api key", id, move |conn, now| {
            diesel::update(api_keys::table.find(id))
                .set(api_keys::revoked_at.eq(Some(now)))
                .execute(conn)
        })
        .await
}
