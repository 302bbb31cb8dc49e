//! `POST /api/v1/auth/login`.

use actix_web::{web, HttpRequest, HttpResponse};
use chrono::{DateTime, Duration, Utc};
use diesel::PgConnection;
use kuaidi_shared::auth::Role;
use kuaidi_shared::clock::new_id;
use kuaidi_shared::db;
use kuaidi_shared::request::RequestContext;
use kuaidi_shared::{ApiError, FieldError};

use crate::api::auth::{LoginRequest, TokenResponse};
use crate::api::problems::{BadCredentials, MissingFields};
use crate::audit::{Audit, Auditor};
use crate::db::users::{self, UserRow};
use crate::passwords;
use crate::sessions::{Refreshable, Sessions};
use crate::tokens::Subject;

/// Failed logins in a row before the account is locked, and for how long.
const MAX_FAILURES: i32 = 5;
const LOCK_MINUTES: i64 = 15;

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
    sessions: web::Data<Sessions>,
    auditor: web::Data<Auditor>,
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
    let now = sessions.now();
    let user = db::run(&sessions.pool, move |conn| {
        authenticate(conn, &username, &password, now)
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
    auditor.record(&req, &ctx, entry).await;
    let user = user?;
    let role =
        Role::parse(&user.role).ok_or_else(|| anyhow::anyhow!("stored role {:?}", user.role))?;
    let subject = Subject::new(user.id.to_string(), role, Vec::new(), None);
    let refresh = Refreshable {
        user_id: user.id,
        family_id: new_id(),
    };
    let session = sessions.issue(&subject, Some(refresh)).await?;
    Ok(HttpResponse::Ok()
        .insert_header(("cache-control", "no-store"))
        .json(TokenResponse::of(session)))
}

/// The user whose password this is, counting failures (and locking) otherwise.
fn authenticate(
    conn: &mut PgConnection,
    username: &str,
    password: &str,
    now: DateTime<Utc>,
) -> Result<UserRow, ApiError> {
    let user = users::find_by_username(conn, username)?;
    // Hash even for unknown users so response time does not reveal who exists.
    let hash = user
        .as_ref()
        .map(|u| u.password_hash.clone())
        .unwrap_or_else(|| passwords::decoy_hash().to_owned());
    let ok = passwords::verify(password, &hash);
    let denied = || ApiError::Unauthorized("invalid username or password".into());
    let user = user.ok_or_else(denied)?;
    if user.disabled || user.locked_until.is_some_and(|t| t > now) {
        return Err(denied());
    }
    if !ok {
        let lock = Duration::minutes(LOCK_MINUTES);
        users::record_failure(conn, user.id, now, MAX_FAILURES, lock)?;
        return Err(denied());
    }
    users::record_success(conn, user.id)?;
    Ok(user)
}
