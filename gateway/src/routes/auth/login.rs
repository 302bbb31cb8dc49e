//! `POST /api/v1/auth/login`.

use actix_web::{web, HttpRequest, HttpResponse};
use chrono::{DateTime, Utc};
use kuaidi_shared::auth::Role;
use kuaidi_shared::clock::new_id;
use kuaidi_shared::db::{self, PgPool};
use kuaidi_shared::extract::Json;
use kuaidi_shared::request::RequestContext;
use kuaidi_shared::{ApiError, FieldError};

use crate::api::auth::{LoginRequest, TokenResponse};
use crate::api::problems::{BadCredentials, MissingFields, TooManyAttempts};
use crate::audit::{Audit, Auditor};
use crate::db::lockout;
use crate::db::users::{self, UserRow};
use crate::lockout::AuthLimits;
use crate::passwords;
use crate::sessions::{Refreshable, Sessions};
use crate::tokens::Subject;

/// Logs a staff user in (argon2-verified password, hashed without holding a database
/// connection) and issues an EdDSA access token and a refresh token. Attempts are rate-limited
/// per address and per username, and repeated failures lock the username with growing delays,
/// neither of which applies from an address its user signed in from before (`crate::lockout`).
// Public: no credentials needed.
#[utoipa::path(post, path = "/api/v1/auth/login", tag = "auth", request_body = LoginRequest,
    responses((status = 200, description = "Logged in", body = TokenResponse),
        BadCredentials, MissingFields, TooManyAttempts),
    security(()))]
pub async fn login(
    req: HttpRequest,
    ctx: RequestContext,
    body: Json<LoginRequest>,
    sessions: web::Data<Sessions>,
    auditor: web::Data<Auditor>,
    limits: web::Data<AuthLimits>,
) -> Result<HttpResponse, ApiError> {
    let LoginRequest { username, password } = body.into_inner();
    limits.check_address(&req)?;
    required(&username, &password)?;
    let username = username.trim().to_lowercase();
    let tried = username.clone();
    let attempt = Attempt {
        ip: crate::audit::client_ip(&req).unwrap_or_default(),
        now: sessions.now(),
    };
    let found = lookup(&sessions.pool, username, &attempt).await?;
    if !found.as_ref().is_some_and(|(_, known)| *known) {
        limits.check_username(&tried)?;
    }
    let (user, locked) = authenticate(&sessions.pool, found, password, &attempt).await?;
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
    if let Some(lock) = locked {
        auditor.record(&req, &ctx, lock).await;
    }
    if user.is_err() {
        limits.failed(&req);
    }
    let user = user?;
    let role =
        Role::parse(&user.role).ok_or_else(|| anyhow::anyhow!("stored role {:?}", user.role))?;
    let subject = Subject::staff(user.id, role, user.sessions_ended_at);
    let refresh = Refreshable {
        user_id: user.id,
        family_id: new_id(),
        started_at: attempt.now,
    };
    let session = sessions.issue(&subject, Some(refresh)).await?;
    Ok(HttpResponse::Ok()
        .insert_header(("cache-control", "no-store"))
        .json(super::staff_tokens(session)))
}

/// Both fields are given (a 422 naming each missing one).
fn required(username: &str, password: &str) -> Result<(), ApiError> {
    let missing = [("username", username.trim()), ("password", password)]
        .into_iter()
        .filter(|(_, value)| value.is_empty())
        .map(|(field, _)| FieldError::new(field, "is required"))
        .collect::<Vec<_>>();
    if missing.is_empty() {
        Ok(())
    } else {
        Err(ApiError::Validation(missing))
    }
}

/// Where and when a sign-in is attempted.
struct Attempt {
    ip: String,
    now: DateTime<Utc>,
}

/// The user named `username`, if any, and whether the attempt comes from an address they
/// signed in from before.
async fn lookup(
    pool: &PgPool,
    username: String,
    at: &Attempt,
) -> Result<Option<(UserRow, bool)>, ApiError> {
    let ip = at.ip.clone();
    db::run(pool, move |conn| {
        let Some(user) = users::find_by_username(conn, &username)? else {
            return Ok(None);
        };
        let known = lockout::is_known_address(conn, user.id, &ip)?;
        Ok(Some((user, known)))
    })
    .await
}

/// The user whose password this is (or why not), and the audit entry of a lock it started.
/// Argon2 runs on the blocking pool between two short database calls.
async fn authenticate(
    pool: &PgPool,
    found: Option<(UserRow, bool)>,
    password: String,
    at: &Attempt,
) -> Result<(Result<UserRow, ApiError>, Option<Audit>), ApiError> {
    let now = at.now;
    // Hash even for unknown users so response time does not reveal who exists.
    let hash = found
        .as_ref()
        .map(|(u, _)| u.password_hash.clone())
        .unwrap_or_else(|| passwords::decoy_hash().to_owned());
    let denied = || ApiError::Unauthorized("invalid username or password".into());
    let Some((user, known)) = found else {
        web::block(move || passwords::verify(&password, &hash)).await?;
        return Ok((Err(denied()), None));
    };
    // A lock keeps out every address but those the user signed in from before.
    if user.disabled || (user.locked_until.is_some_and(|t| t > now) && !known) {
        return Ok((Err(denied()), None));
    }
    let ok = web::block(move || passwords::verify(&password, &hash)).await?;
    let (id, ip) = (user.id, at.ip.clone());
    if ok {
        db::run(pool, move |conn| {
            Ok(lockout::record_success(conn, id, &ip, now)?)
        })
        .await?;
        return Ok((Ok(user), None));
    }
    let (failures, until) = db::run(pool, move |conn| {
        Ok(lockout::record_failure(conn, id, now)?)
    })
    .await?;
    let lock = until.map(|until| Audit {
        principal: None,
        role: None,
        action: "auth.lock",
        target: Some(id.to_string()),
        outcome: "locked",
        details: serde_json::json!({"username": user.username, "failures": failures, "until": until}),
    });
    Ok((Err(denied()), lock))
}
