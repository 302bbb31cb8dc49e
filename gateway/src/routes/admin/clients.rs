//! `/api/v1/clients`: system clients and merchants using OAuth2 client credentials.

use actix_web::{web, HttpRequest, HttpResponse};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use kuaidi_shared::auth::Role;
use kuaidi_shared::capabilities::{caps, Authorized};
use kuaidi_shared::clock::new_id;
use kuaidi_shared::deps::Deps;
use kuaidi_shared::events::catalogue::ClientRevokedV1;
use kuaidi_shared::extract::{Json, Query};
use kuaidi_shared::openapi::{Forbidden, NotFound, NotModified, Unprocessable};
use kuaidi_shared::ApiError;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::{Page, PageParams, Revoked};
use crate::db::clients::{self as repo, ClientRow};
use crate::db::schema::clients;
use crate::domain::accounts;
use crate::edge::CLIENT_PREFIX;
use crate::tokens;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"name": "Shop A order system", "role": "merchant", "merchant_id": "0193a0c4-8a6e-7c1a-9a51-5f0c2b1d7e01", "scopes": ["shipments:read"]}))]
pub struct CreateClient {
    /// 1–200 bytes of text, not only spaces.
    #[schema(min_length = 1, max_length = 200)]
    pub name: String,
    #[schema(value_type = ClientRole)]
    pub role: String,
    /// Required for merchants.
    #[serde(default)]
    pub merchant_id: Option<Uuid>,
    /// Capabilities the client's tokens are limited to (none: its role's all).
    #[serde(default)]
    #[schema(value_type = Vec<kuaidi_shared::openapi::Scope>)]
    pub scopes: Vec<String>,
}

kuaidi_shared::string_enum_schema! {
    /// The roles of OAuth2 clients.
    pub ClientRole = accounts::CLIENT_ROLES.map(Role::as_str);
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

impl From<ClientRow> for Client {
    fn from(r: ClientRow) -> Self {
        Self {
            id: r.id,
            client_id: r.client_id,
            client_secret: None,
            name: r.name,
            role: r.role,
            merchant_id: r.merchant_id,
            scopes: r.scopes,
            revoked_at: r.revoked_at,
            created_at: r.created_at,
        }
    }
}

/// Registers a client; the secret is shown once.
#[utoipa::path(post, path = "/api/v1/clients", tag = "admin", request_body = CreateClient,
    responses((status = 201, description = "Created; the secret is shown this once", body = Client),
        Forbidden, Unprocessable))]
pub async fn create_client(
    admin: super::AdminCall,
    body: Json<CreateClient>,
) -> Result<HttpResponse, ApiError> {
    let b = body.into_inner();
    let mut errors = Vec::new();
    accounts::name(&mut errors, &b.name);
    let role = accounts::client(&mut errors, &b.role, b.merchant_id, &b.scopes);
    accounts::valid(errors).map_err(ApiError::Validation)?;
    let secret = tokens::secret();
    let client_id = format!("kdc_{}", Uuid::new_v4().simple());
    let now = admin.now();
    let id = new_id();
    let merchant_id = b.merchant_id.filter(|_| role == Some(Role::Merchant));
    let row = ClientRow {
        id,
        client_id: client_id.clone(),
        secret_hash: tokens::digest(&secret),
        name: b.name.trim().to_owned(),
        role: b.role.clone(),
        merchant_id,
        scopes: b.scopes.clone(),
        revoked_at: None,
        created_at: now,
        created_by: admin.sub.clone(),
    };
    let row = admin.insert(row, repo::insert).await?;
    let entry = admin
        .entry("client.create", id)
        .details(serde_json::json!({"client_id": client_id, "role": b.role}));
    admin.audit(entry).await;
    let mut out = Client::from(row);
    out.client_secret = Some(secret);
    Ok(super::issued(format!("/api/v1/clients/{id}"), out))
}

/// Filters of `GET /api/v1/clients`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ClientFilters {
    /// Only the clients of this role.
    #[param(value_type = Option<ClientRole>)]
    pub role: Option<String>,
    /// Only the clients of this merchant.
    pub merchant_id: Option<Uuid>,
}

/// Lists clients (without secrets), newest first; `role` and `merchant_id` keep those of one
/// role, of one merchant.
#[utoipa::path(get, path = "/api/v1/clients", tag = "admin", params(ClientFilters, PageParams),
    responses((status = 200, description = "A page of OAuth2 clients", body = Page<Client>),
        Forbidden, Unprocessable))]
pub async fn list_clients(
    _admin: Authorized<caps::Administration>,
    filters: Query<ClientFilters>,
    page: Query<PageParams>,
    deps: Deps,
) -> Result<HttpResponse, ApiError> {
    let ClientFilters { role, merchant_id } = filters.into_inner();
    let role = super::role_filter(role, |errors, r| {
        accounts::client_role(errors, r);
    })?;
    super::newest_page!(
        deps.pool,
        page,
        clients,
        ClientRow,
        Client::from,
        clients::role = role,
        clients::merchant_id = merchant_id
    )
}

/// One OAuth2 client (without its secret), with an `ETag`.
#[utoipa::path(get, path = "/api/v1/clients/{id}", tag = "admin", params(("id" = Uuid, Path)),
    responses((status = 200, description = "The OAuth2 client", body = Client),
        NotModified, Forbidden, NotFound))]
pub async fn get_client(
    req: HttpRequest,
    _admin: Authorized<caps::Administration>,
    path: web::Path<Uuid>,
    deps: Deps,
) -> Result<HttpResponse, ApiError> {
    let id = ("client", path.into_inner());
    let revoked_at = |r: &ClientRow| r.revoked_at;
    super::credential(&req, &deps.pool, id, repo::find, revoked_at, Client::from).await
}

/// Revokes a client: no new tokens, and its live tokens are refused at the gateway.
#[utoipa::path(delete, path = "/api/v1/clients/{id}", tag = "admin", params(("id" = Uuid, Path)),
    responses((status = 204, description = "Revoked"),
        NotFound))]
pub async fn revoke_client(
    revocation: super::Revocation,
    path: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    revocation
        .run("client.revoke", "client", id, move |conn, now| {
            let live = clients::table
                .find(id)
                .filter(clients::revoked_at.is_null());
            let updated = diesel::update(live)
                .set(clients::revoked_at.eq(Some(now)))
                .execute(conn)?;
            let payload = (updated > 0).then(|| ClientRevokedV1 {
                client_id: id,
                subject: format!("{CLIENT_PREFIX}{id}"),
                revoked_at: now,
            });
            Ok(Revoked::now_or(payload, repo::find(conn, id)?.is_some()))
        })
        .await
}
