//! `POST /api/v1/auth/login`.

use actix_web::{web, HttpRequest, HttpResponse};
use kuaidi_shared::request::RequestContext;

use crate::audit::{self, Audit};
use chrono::{Duration, Utc};
use kuaidi_shared::auth::Role;
use kuaidi_shared::db::{self, PgPool};
use kuaidi_shared::{ApiError, FieldError};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::api::problems::{BadCredentials, MissingFields};
use crate::configuration::GatewaySettings;
use crate::db::users;
use crate::keys::KeyRing;
use crate::passwords;
use crate::tokens::{self, Subject};

/// Failed logins in a row before the account is locked, and for how long.
const MAX_FAILURES: i32 = 5;
const LOCK_MINUTES: i64 = 15;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"username": "admin", "password": "s3cret-Passw0rd"}))]
pub struct LoginRequest {
    pub username: String,
    pub password: String,
}

/// Tokens issued at login.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({"access_token": "eyJhbGciOiJFZERTQSIs...", "token_type": "Bearer", "expires_in": 900, "refresh_token": "kq3...Zt0"}))]
pub struct TokenResponse {
    pub access_token: String,
    /// Always `Bearer`.
    pub token_type: String,
    /// Seconds until the access token expires.
    pub expires_in: i64,
    pub refresh_token: String,
}

/// Logs a staff user in (argon2-verified password) and issues an EdDSA access token and a
/// refresh token. Five failures in a row lock the account for 15 minutes.
#[utoipa::path(
    post,
    path = "/api/v1/auth/login",
    tag = "auth",
    request_body = LoginRequest,
    responses(
        (status = 200, description = "Logged in", body = TokenResponse),
        BadCredentials,
        MissingFields,
    )
)]
pub async fn login(
    req: HttpRequest,
    ctx: RequestContext,
    body: web::Json<LoginRequest>,
    pool: web::Data<PgPool>,
    keys: web::Data<KeyRing>,
    settings: web::Data<GatewaySettings>,
) -> Result<HttpResponse, ApiError> {
    let LoginRequest { username, password } = body.into_inner();
    let mut errors = Vec::new();
    if username.trim().is_empty() {
        errors.push(FieldError::new("username", "is required"));
    }
    if password.is_empty() {
        errors.push(FieldError::new("password", "is required"));
    }
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    let username = username.trim().to_lowercase();
    let tried = username.clone();
    let now = Utc::now();
    let refresh_ttl = Duration::seconds(settings.jwt.refresh_ttl_secs);
    let user = db::run(&pool, move |conn| {
        let user = users::find_by_username(conn, &username)?;
        // Hash even for unknown users so response time does not reveal who exists.
        let hash = user
            .as_ref()
            .map(|u| u.password_hash.clone())
            .unwrap_or_else(|| passwords::decoy_hash().to_owned());
        let ok = passwords::verify(&password, &hash);
        let denied = || ApiError::Unauthorized("invalid username or password".into());
        let user = user.ok_or_else(denied)?;
        if user.disabled || user.locked_until.is_some_and(|t| t > now) {
            return Err(denied());
        }
        if !ok {
            users::record_failure(
                conn,
                user.id,
                now,
                MAX_FAILURES,
                Duration::minutes(LOCK_MINUTES),
            )?;
            return Err(denied());
        }
        users::record_success(conn, user.id)?;
        Ok(user)
    })
    .await;
    // Every attempt is audited with the username tried — never the password.
    let entry = Audit {
        principal: user.as_ref().ok().map(|u| u.id.to_string()),
        role: user.as_ref().ok().map(|u| u.role.clone()),
        action: "auth.login",
        target: None,
        outcome: if user.is_ok() { "success" } else { "failure" },
        details: serde_json::json!({"username": tried}),
    };
    audit::record(&pool, &ctx, audit::client_ip(&req), entry).await;
    let user = user?;
    let role =
        Role::parse(&user.role).ok_or_else(|| anyhow::anyhow!("stored role {:?}", user.role))?;
    let access = tokens::access_token(
        &keys,
        &settings.jwt,
        &Subject::new(user.id.to_string(), role, Vec::new(), None),
        now,
        settings.jwt.access_ttl_secs,
    )?;
    let (refresh, digest) = tokens::refresh_token();
    db::run(&pool, move |conn| {
        users::insert_refresh_token(
            conn,
            user.id,
            Uuid::now_v7(),
            &digest,
            now,
            now + refresh_ttl,
        )?;
        Ok(())
    })
    .await?;
    Ok(HttpResponse::Ok()
        .insert_header(("cache-control", "no-store"))
        .json(TokenResponse {
            access_token: access,
            token_type: "Bearer".into(),
            expires_in: settings.jwt.access_ttl_secs,
            refresh_token: refresh,
        }))
}
