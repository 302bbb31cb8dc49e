//! `/api/v1/clients`: system clients and merchants using OAuth2 client credentials.

use actix_web::http::header::LOCATION;
use actix_web::{web, HttpRequest, HttpResponse};
use base64::Engine;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use kuaidi_shared::auth::Role;
use kuaidi_shared::capabilities::{caps, Authorized};
use kuaidi_shared::db::{self, PgPool};
use kuaidi_shared::openapi::{Forbidden, NotFound, Unprocessable};
use kuaidi_shared::request::RequestContext;
use kuaidi_shared::{ApiError, FieldError};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::{Cursor, Page, PageParams};
use crate::audit::{self, Audit};
use crate::db::schema::clients;
use crate::edge::Edge;
use crate::tokens;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"name": "Shop A order system", "role": "merchant", "merchant_id": "0193a0c4-8a6e-7c1a-9a51-5f0c2b1d7e01", "scopes": ["tracking:read"]}))]
pub struct CreateClient {
    pub name: String,
    /// `operator` | `merchant` | `app` | `analyst` | `agent` | `supervisor` | `manager`.
    pub role: String,
    /// Required for merchants.
    #[serde(default)]
    pub merchant_id: Option<Uuid>,
    #[serde(default)]
    pub scopes: Vec<String>,
}

/// A client; `client_secret` only in the answer to its creation.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Client {
    pub id: Uuid,
    pub client_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_secret: Option<String>,
    pub name: String,
    pub role: String,
    pub merchant_id: Option<Uuid>,
    pub scopes: Vec<String>,
    pub revoked_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

type Row = (
    Uuid,
    String,
    String,
    String,
    Option<Uuid>,
    Vec<String>,
    Option<DateTime<Utc>>,
    DateTime<Utc>,
);
const COLUMNS: (
    clients::id,
    clients::client_id,
    clients::name,
    clients::role,
    clients::merchant_id,
    clients::scopes,
    clients::revoked_at,
    clients::created_at,
) = (
    clients::id,
    clients::client_id,
    clients::name,
    clients::role,
    clients::merchant_id,
    clients::scopes,
    clients::revoked_at,
    clients::created_at,
);

fn from_row(r: Row) -> Client {
    Client {
        id: r.0,
        client_id: r.1,
        client_secret: None,
        name: r.2,
        role: r.3,
        merchant_id: r.4,
        scopes: r.5,
        revoked_at: r.6,
        created_at: r.7,
    }
}

const CLIENT_ROLES: [Role; 7] = [
    Role::Operator,
    Role::Merchant,
    Role::App,
    Role::Analyst,
    Role::Agent,
    Role::Supervisor,
    Role::Manager,
];

/// Registers a client; the secret is shown once.
#[utoipa::path(post, path = "/api/v1/clients", tag = "admin", request_body = CreateClient,
    responses((status = 201, body = Client), Forbidden, Unprocessable),
    security(("bearer" = [])))]
pub async fn create_client(
    req: HttpRequest,
    ctx: RequestContext,
    admin: Authorized<caps::Administration>,
    body: web::Json<CreateClient>,
    pool: web::Data<PgPool>,
) -> Result<HttpResponse, ApiError> {
    let b = body.into_inner();
    let mut errors = Vec::new();
    if b.name.trim().is_empty() || b.name.len() > 200 {
        errors.push(FieldError::new(
            "name",
            "is required (at most 200 characters)",
        ));
    }
    let role = Role::parse(&b.role).filter(|r| CLIENT_ROLES.contains(r));
    if role.is_none() {
        errors.push(FieldError::new(
            "role",
            "must be operator, merchant, app, analyst, agent, supervisor or manager",
        ));
    }
    if role == Some(Role::Merchant) && b.merchant_id.is_none() {
        errors.push(FieldError::new("merchant_id", "is required for merchants"));
    }
    if b.scopes
        .iter()
        .any(|s| s.is_empty() || s.len() > 64 || s.contains(' '))
    {
        errors.push(FieldError::new(
            "scopes",
            "each scope is 1–64 characters without spaces",
        ));
    }
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    let secret =
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(rand::random::<[u8; 32]>());
    let client_id = format!("kdc_{}", Uuid::new_v4().simple());
    let now = Utc::now();
    let id = Uuid::now_v7();
    let merchant_id = if role == Some(Role::Merchant) {
        b.merchant_id
    } else {
        None
    };
    let (name, role_s, scopes, by, hash, cid) = (
        b.name.trim().to_owned(),
        b.role.clone(),
        b.scopes.clone(),
        admin.sub.clone(),
        tokens::digest(&secret),
        client_id.clone(),
    );
    let row = db::run(&pool, move |conn| {
        diesel::insert_into(clients::table)
            .values((
                clients::id.eq(id),
                clients::client_id.eq(&cid),
                clients::secret_hash.eq(&hash),
                clients::name.eq(&name),
                clients::role.eq(&role_s),
                clients::merchant_id.eq(merchant_id),
                clients::scopes.eq(&scopes),
                clients::created_at.eq(now),
                clients::created_by.eq(&by),
            ))
            .execute(conn)?;
        Ok(clients::table.find(id).select(COLUMNS).first::<Row>(conn)?)
    })
    .await?;
    audit::record(
        &pool,
        &ctx,
        audit::client_ip(&req),
        Audit::by(&admin, "client.create", Some(id.to_string()))
            .details(serde_json::json!({"client_id": client_id, "role": b.role})),
    )
    .await;
    let mut out = from_row(row);
    out.client_secret = Some(secret);
    Ok(HttpResponse::Created()
        .insert_header((LOCATION, format!("/api/v1/clients/{id}")))
        .insert_header(("cache-control", "no-store"))
        .json(out))
}

/// Lists clients (without secrets), newest first.
#[utoipa::path(get, path = "/api/v1/clients", tag = "admin", params(PageParams),
    responses((status = 200, body = Page<Client>), Forbidden),
    security(("bearer" = [])))]
pub async fn list_clients(
    _admin: Authorized<caps::Administration>,
    page: web::Query<PageParams>,
    pool: web::Data<PgPool>,
) -> Result<HttpResponse, ApiError> {
    let (limit, cursor) = page.parse()?;
    let rows = db::run(&pool, move |conn| {
        Ok(super::newest_first!(clients, COLUMNS, cursor, limit).load::<Row>(conn)?)
    })
    .await?;
    Ok(HttpResponse::Ok().json(Page::from_rows(
        rows,
        limit,
        |r| Cursor { at: r.7, id: r.0 },
        from_row,
    )))
}

/// Revokes a client: no new tokens, and its live tokens are refused at the gateway.
#[utoipa::path(delete, path = "/api/v1/clients/{id}", tag = "admin", params(("id" = Uuid, Path)),
    responses((status = 204, description = "Revoked"), NotFound),
    security(("bearer" = [])))]
pub async fn revoke_client(
    req: HttpRequest,
    ctx: RequestContext,
    admin: Authorized<caps::Administration>,
    path: web::Path<Uuid>,
    pool: web::Data<PgPool>,
    edge: web::Data<Edge>,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    let revocation = super::Revocation {
        req: &req,
        ctx: &ctx,
        admin: &admin,
        pool: &pool,
        edge: &edge,
    };
    revocation
        .run("client.revoke", "client", id, move |conn| {
            diesel::update(clients::table.find(id))
                .set(clients::revoked_at.eq(Some(Utc::now())))
                .execute(conn)
        })
        .await
}
