//! `POST /api/v1/auth/token`: OAuth2 client credentials (RFC 6749 §4.4) for system clients and
//! merchants, with RFC 6749 §5.2 error bodies (not problem+json: OAuth2 libraries expect these).

use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use base64::Engine;
use chrono::Utc;
use diesel::prelude::*;
use kuaidi_shared::auth::Role;
use kuaidi_shared::db::{self, PgPool};
use kuaidi_shared::request::RequestContext;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::audit::{self, Audit};
use crate::configuration::GatewaySettings;
use crate::db::schema::clients;
use crate::edge::CLIENT_PREFIX;
use crate::keys::KeyRing;
use crate::tokens::{self, Subject};

/// The token request (form-encoded as RFC 6749 says, or JSON).
#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct TokenRequest {
    /// Must be `client_credentials`.
    pub grant_type: Option<String>,
    /// Or HTTP Basic authentication.
    pub client_id: Option<String>,
    pub client_secret: Option<String>,
    /// Space-separated subset of the client's scopes; all of them when absent.
    pub scope: Option<String>,
}

/// RFC 6749 §5.1.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct AccessTokenResponse {
    pub access_token: String,
    pub token_type: String,
    pub expires_in: i64,
    #[serde(skip_serializing_if = "String::is_empty", default)]
    pub scope: String,
}

/// RFC 6749 §5.2.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct OAuthError {
    /// `invalid_request` | `invalid_client` | `unsupported_grant_type` | `invalid_scope`.
    pub error: String,
    pub error_description: String,
}

fn oauth_error(
    status: actix_web::http::StatusCode,
    error: &str,
    description: &str,
) -> HttpResponse {
    let mut resp = HttpResponse::build(status);
    resp.insert_header((header::CACHE_CONTROL, "no-store"));
    if status == actix_web::http::StatusCode::UNAUTHORIZED {
        resp.insert_header((header::WWW_AUTHENTICATE, "Basic realm=\"kuaidi\""));
    }
    resp.json(OAuthError {
        error: error.into(),
        error_description: description.into(),
    })
}

fn basic_credentials(req: &HttpRequest) -> Option<(String, String)> {
    let value = req.headers().get(header::AUTHORIZATION)?.to_str().ok()?;
    let encoded = value.strip_prefix("Basic ")?;
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .ok()?;
    let text = String::from_utf8(decoded).ok()?;
    let (id, secret) = text.split_once(':')?;
    Some((id.to_owned(), secret.to_owned()))
}

/// Issues an access token to a system client.
#[utoipa::path(
    post,
    path = "/api/v1/auth/token",
    tag = "auth",
    request_body(content = TokenRequest, content_type = "application/x-www-form-urlencoded"),
    responses(
        (status = 200, description = "Access token", body = AccessTokenResponse),
        (status = 400, description = "invalid_request, unsupported_grant_type or invalid_scope", body = OAuthError),
        (status = 401, description = "invalid_client", body = OAuthError),
    )
)]
pub async fn token(
    req: HttpRequest,
    ctx: RequestContext,
    body: web::Bytes,
    pool: web::Data<PgPool>,
    keys: web::Data<KeyRing>,
    settings: web::Data<GatewaySettings>,
) -> Result<HttpResponse, kuaidi_shared::ApiError> {
    use actix_web::http::StatusCode;
    let is_json = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    let parsed: Result<TokenRequest, String> = if is_json {
        serde_json::from_slice(&body).map_err(|e| e.to_string())
    } else {
        serde_urlencoded::from_bytes(&body).map_err(|e| e.to_string())
    };
    let form = match parsed {
        Ok(f) => f,
        Err(e) => return Ok(oauth_error(StatusCode::BAD_REQUEST, "invalid_request", &e)),
    };
    match form.grant_type.as_deref() {
        Some("client_credentials") => {}
        Some(_) => {
            return Ok(oauth_error(
                StatusCode::BAD_REQUEST,
                "unsupported_grant_type",
                "only client_credentials is supported",
            ))
        }
        None => {
            return Ok(oauth_error(
                StatusCode::BAD_REQUEST,
                "invalid_request",
                "grant_type is required",
            ))
        }
    }
    let (client_id, secret) = match (basic_credentials(&req), form.client_id, form.client_secret) {
        (Some(pair), _, _) => pair,
        (None, Some(id), Some(secret)) => (id, secret),
        _ => {
            return Ok(oauth_error(
                StatusCode::UNAUTHORIZED,
                "invalid_client",
                "client authentication is required",
            ))
        }
    };
    let digest = tokens::digest(&secret);
    let lookup_id = client_id.clone();
    type Row = (
        Uuid,
        String,
        String,
        Option<Uuid>,
        Vec<String>,
        Option<chrono::DateTime<Utc>>,
    );
    let row: Option<Row> = db::run(&pool, move |conn| {
        Ok(clients::table
            .filter(clients::client_id.eq(&lookup_id))
            .select((
                clients::id,
                clients::secret_hash,
                clients::role,
                clients::merchant_id,
                clients::scopes,
                clients::revoked_at,
            ))
            .first(conn)
            .optional()?)
    })
    .await?;
    let ip = audit::client_ip(&req);
    let fail = |why: &'static str| Audit {
        principal: Some(format!("{CLIENT_PREFIX}{client_id}")),
        role: None,
        action: "auth.token",
        target: None,
        outcome: "failure",
        details: serde_json::json!({"client_id": client_id, "reason": why}),
    };
    let Some((id, secret_hash, role, merchant_id, scopes, revoked_at)) = row else {
        audit::record(&pool, &ctx, ip, fail("unknown client")).await;
        return Ok(oauth_error(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "unknown client or wrong secret",
        ));
    };
    // Both digests are of random secrets; comparing them leaks nothing useful.
    if secret_hash != digest || revoked_at.is_some() {
        audit::record(
            &pool,
            &ctx,
            ip,
            fail(if revoked_at.is_some() {
                "revoked"
            } else {
                "wrong secret"
            }),
        )
        .await;
        return Ok(oauth_error(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "unknown client or wrong secret",
        ));
    }
    let granted = match form.scope.as_deref().map(str::split_whitespace) {
        None => scopes.clone(),
        Some(asked) => {
            let asked: Vec<String> = asked.map(str::to_owned).collect();
            if let Some(bad) = asked.iter().find(|s| !scopes.contains(s)) {
                return Ok(oauth_error(
                    StatusCode::BAD_REQUEST,
                    "invalid_scope",
                    &format!("scope {bad} is not granted to this client"),
                ));
            }
            asked
        }
    };
    let role = Role::parse(&role).ok_or_else(|| anyhow::anyhow!("stored role {role:?}"))?;
    let subject = Subject::new(
        format!("{CLIENT_PREFIX}{id}"),
        role,
        granted.clone(),
        merchant_id,
    );
    let access = tokens::access_token(
        &keys,
        &settings.jwt,
        &subject,
        Utc::now(),
        settings.jwt.access_ttl_secs,
    )?;
    audit::record(
        &pool,
        &ctx,
        ip,
        Audit {
            principal: Some(subject.sub.clone()),
            role: Some(role.as_str().into()),
            action: "auth.token",
            target: None,
            outcome: "success",
            details: serde_json::json!({"client_id": client_id, "scopes": granted}),
        },
    )
    .await;
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header((header::PRAGMA, "no-cache"))
        .json(AccessTokenResponse {
            access_token: access,
            token_type: "Bearer".into(),
            expires_in: settings.jwt.access_ttl_secs,
            scope: granted.join(" "),
        }))
}
