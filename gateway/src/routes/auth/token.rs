//! `POST /api/v1/auth/token`: OAuth2 client credentials (RFC 6749 §4.4) for system clients and
//! merchants, with RFC 6749 §5.2 error bodies (not problem+json: OAuth2 libraries expect these).

use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use base64::Engine;
use kuaidi_shared::auth::Role;
use kuaidi_shared::db;
use kuaidi_shared::request::RequestContext;
use kuaidi_shared::ApiError;

use crate::api::auth::{AccessTokenResponse, OAuthError, TokenRequest};
use crate::audit::{Audit, Auditor};
use crate::db::clients::{self, ClientRow};
use crate::edge::CLIENT_PREFIX;
use crate::lockout::AuthLimits;
use crate::sessions::Sessions;
use crate::tokens::{self, Subject};

fn oauth_error(status: StatusCode, error: &str, description: &str) -> HttpResponse {
    let mut resp = HttpResponse::build(status);
    resp.insert_header((header::CACHE_CONTROL, "no-store"));
    if status == StatusCode::UNAUTHORIZED {
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
// Public: no credentials needed.
#[utoipa::path(post, path = "/api/v1/auth/token", tag = "auth",
    request_body(content = TokenRequest, content_type = "application/x-www-form-urlencoded"),
    responses((status = 200, description = "Access token", body = AccessTokenResponse),
        (status = 400, description = "invalid_request, unsupported_grant_type or invalid_scope", body = OAuthError),
        (status = 401, description = "invalid_client", body = OAuthError)),
    security(()))]
pub async fn token(
    req: HttpRequest,
    ctx: RequestContext,
    body: web::Bytes,
    sessions: web::Data<Sessions>,
    auditor: web::Data<Auditor>,
    limits: web::Data<AuthLimits>,
) -> Result<HttpResponse, ApiError> {
    let (client_id, secret, scope) = match credentials(&req, &body) {
        Ok(c) => c,
        Err((status, error, why)) => return Ok(oauth_error(status, error, &why)),
    };
    // Only a flood is refused before the (cheap, digest) check: a right secret always passes.
    limits.check_address_rate(&req)?;
    let lookup = client_id.clone();
    let row = db::run(&sessions.pool, move |conn| {
        Ok(clients::find_by_client_id(conn, &lookup)?)
    })
    .await?;
    let refused = match &row {
        None => Some("unknown client"),
        Some(r) if r.revoked_at.is_some() => Some("revoked"),
        // Both digests are of random secrets; comparing them leaks nothing useful.
        Some(r) if r.secret_hash != tokens::digest(&secret) => Some("wrong secret"),
        Some(_) => None,
    };
    let known = row.as_ref().map(|r| r.id);
    let (Some(client), None) = (row, refused) else {
        auditor
            .record(&req, &ctx, failed(known, &client_id, refused))
            .await;
        limits.after_failure(&req, &client_id)?;
        let why = "unknown client or wrong secret";
        return Ok(oauth_error(StatusCode::UNAUTHORIZED, "invalid_client", why));
    };
    let granted = match granted_scopes(&client, scope.as_deref()) {
        Ok(g) => g,
        Err(bad) => {
            let why = format!("scope {bad} is not granted to this client");
            return Ok(oauth_error(StatusCode::BAD_REQUEST, "invalid_scope", &why));
        }
    };
    let role = Role::parse(&client.role)
        .ok_or_else(|| anyhow::anyhow!("stored role {:?}", client.role))?;
    let sub = format!("{CLIENT_PREFIX}{}", client.id);
    let subject = Subject::new(sub, role, granted.clone(), client.merchant_id);
    let session = sessions.issue(&subject, None).await?;
    let details = serde_json::json!({"client_id": client_id, "scopes": granted});
    let entry = Audit::by_subject(&subject, "auth.token").details(details);
    auditor.record(&req, &ctx, entry).await;
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header((header::PRAGMA, "no-cache"))
        .json(AccessTokenResponse {
            access_token: session.access_token,
            token_type: "Bearer".into(),
            expires_in: session.expires_in,
            scope: granted.join(" "),
        }))
}

/// The audit entry of a refused client: its principal is the one its tokens carry
/// (`client:<id>`) when the client exists, none otherwise (the `client_id` tried is in the
/// details, as a failed login's username is).
fn failed(known: Option<uuid::Uuid>, client_id: &str, reason: Option<&str>) -> Audit {
    let details = serde_json::json!({"client_id": client_id, "reason": reason});
    let mut entry = Audit::failure("auth.token", details);
    entry.principal = known.map(|id| format!("{CLIENT_PREFIX}{id}"));
    entry
}

type OAuthRefusal = (StatusCode, &'static str, String);

/// `(client_id, client_secret, scope)` of a client-credentials request (form or JSON, the
/// credentials in the body or as HTTP Basic), or the RFC 6749 §5.2 error.
fn credentials(
    req: &HttpRequest,
    body: &[u8],
) -> Result<(String, String, Option<String>), OAuthRefusal> {
    let is_json = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    let parsed: Result<TokenRequest, String> = if is_json {
        serde_json::from_slice(body).map_err(|e| e.to_string())
    } else {
        serde_urlencoded::from_bytes(body).map_err(|e| e.to_string())
    };
    let form = parsed.map_err(|e| (StatusCode::BAD_REQUEST, "invalid_request", e))?;
    match form.grant_type.as_deref() {
        Some("client_credentials") => {}
        Some(_) => {
            let why = "only client_credentials is supported".to_owned();
            return Err((StatusCode::BAD_REQUEST, "unsupported_grant_type", why));
        }
        None => {
            let why = "grant_type is required".to_owned();
            return Err((StatusCode::BAD_REQUEST, "invalid_request", why));
        }
    }
    match (basic_credentials(req), form.client_id, form.client_secret) {
        (Some((id, secret)), _, _) | (None, Some(id), Some(secret)) => Ok((id, secret, form.scope)),
        _ => Err((
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "client authentication is required".to_owned(),
        )),
    }
}

/// The scopes asked for (all the client's when none are named), or the first not granted.
fn granted_scopes(client: &ClientRow, asked: Option<&str>) -> Result<Vec<String>, String> {
    let Some(asked) = asked else {
        return Ok(client.scopes.clone());
    };
    let asked: Vec<String> = asked.split_whitespace().map(str::to_owned).collect();
    match asked.iter().find(|s| !client.scopes.contains(s)) {
        Some(bad) => Err(bad.clone()),
        None => Ok(asked),
    }
}
