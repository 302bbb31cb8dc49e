//! `POST /api/v1/auth/refresh` and `POST /api/v1/auth/logout`: rotating refresh tokens. Each
//! refresh token works once; presenting a used one again means it was stolen, so the whole
//! family (every token descended from that login) is revoked.

use actix_web::{web, HttpRequest, HttpResponse};
use chrono::{DateTime, Utc};
use diesel::PgConnection;
use kuaidi_shared::auth::Role;
use kuaidi_shared::db;
use kuaidi_shared::extract::Json;
use kuaidi_shared::request::RequestContext;
use kuaidi_shared::ApiError;
use uuid::Uuid;

use crate::api::auth::{RefreshRequest, TokenResponse};
use crate::api::problems::BadRefreshToken;
use crate::audit::{Audit, Auditor};
use crate::db::refresh_tokens;
use crate::db::users::{self, UserRow};
use crate::lockout::AuthLimits;
use crate::sessions::{Refreshable, Sessions};
use crate::tokens::{self, Subject};

enum Outcome {
    Rotated {
        user: UserRow,
        family: Uuid,
        started_at: DateTime<Utc>,
    },
    Reused {
        user_id: Uuid,
    },
}

/// Exchanges a refresh token for a new access token and a new refresh token.
// Public: no credentials needed.
#[utoipa::path(post, path = "/api/v1/auth/refresh", tag = "auth", request_body = RefreshRequest,
    responses((status = 200, description = "New tokens; the presented refresh token is spent", body = TokenResponse),
        BadRefreshToken),
    security(()))]
pub async fn refresh(
    req: HttpRequest,
    ctx: RequestContext,
    body: Json<RefreshRequest>,
    sessions: web::Data<Sessions>,
    auditor: web::Data<Auditor>,
    limits: web::Data<AuthLimits>,
) -> Result<HttpResponse, ApiError> {
    limits.check(&req, None)?;
    let digest = tokens::digest(&body.refresh_token);
    let now = sessions.now();
    let outcome = db::transaction(&sessions.pool, move |conn| rotate(conn, &digest, now)).await;
    let (user, family, started_at) = rotated(outcome, &auditor, &req, &ctx).await?;
    let role =
        Role::parse(&user.role).ok_or_else(|| anyhow::anyhow!("stored role {:?}", user.role))?;
    let (user_id, subject) = (
        user.id,
        Subject::staff(user.id, role, user.sessions_ended_at),
    );
    let refresh = Refreshable {
        user_id,
        family_id: family,
        started_at,
    };
    let session = sessions.issue(&subject, Some(refresh)).await?;
    let entry = Audit {
        principal: Some(user_id.to_string()),
        role: Some(role.as_str().into()),
        action: "auth.refresh",
        target: None,
        outcome: "success",
        details: serde_json::json!({}),
    };
    auditor.record(&req, &ctx, entry).await;
    Ok(HttpResponse::Ok()
        .insert_header(("cache-control", "no-store"))
        .json(super::staff_tokens(session)))
}

/// The rotated session's `(user, family, started)`, or the refusal, audited: a token
/// unknown, expired or revoked (`auth.refresh` failure), or reused (`auth.refresh_reuse`: its
/// family is revoked).
async fn rotated(
    outcome: Result<Outcome, ApiError>,
    auditor: &Auditor,
    req: &HttpRequest,
    ctx: &RequestContext,
) -> Result<(UserRow, Uuid, DateTime<Utc>), ApiError> {
    let (entry, refusal) = match outcome {
        Ok(Outcome::Rotated {
            user,
            family,
            started_at,
        }) => return Ok((user, family, started_at)),
        Ok(Outcome::Reused { user_id }) => {
            let who = Some(user_id.to_string());
            let entry = Audit {
                principal: who.clone(),
                role: None,
                action: "auth.refresh_reuse",
                target: who,
                outcome: "denied",
                details: serde_json::json!({"family_revoked": true}),
            };
            let why = "refresh token already used; the session is revoked";
            (entry, ApiError::Unauthorized(why.into()))
        }
        Err(ApiError::Unauthorized(why)) => {
            let entry = Audit::failure("auth.refresh", serde_json::json!({"reason": why}));
            (entry, ApiError::Unauthorized(why))
        }
        Err(e) => return Err(e),
    };
    auditor.record(req, ctx, entry).await;
    Err(refusal)
}

/// Spends the token with this digest, or revokes its family when it was spent before.
fn rotate(conn: &mut PgConnection, digest: &str, now: DateTime<Utc>) -> Result<Outcome, ApiError> {
    let denied = || ApiError::Unauthorized("invalid refresh token".into());
    let token = refresh_tokens::find_for_update(conn, digest)?.ok_or_else(denied)?;
    if token.revoked_at.is_some() || token.expires_at <= now {
        return Err(denied());
    }
    if token.used_at.is_some() {
        refresh_tokens::revoke_family(conn, token.family_id, now)?;
        return Ok(Outcome::Reused {
            user_id: token.user_id,
        });
    }
    refresh_tokens::mark_used(conn, token.id, now)?;
    let user = users::find(conn, token.user_id)?.ok_or_else(denied)?;
    if user.disabled {
        return Err(denied());
    }
    Ok(Outcome::Rotated {
        user,
        family: token.family_id,
        started_at: token.session_started_at.unwrap_or(token.created_at),
    })
}

/// Ends a session: the refresh token and its whole family stop working.
// Public: no credentials needed.
#[utoipa::path(post, path = "/api/v1/auth/logout", tag = "auth", request_body = RefreshRequest,
    responses((status = 204, description = "Logged out (also for an unknown token)")),
    security(()))]
pub async fn logout(
    body: Json<RefreshRequest>,
    sessions: web::Data<Sessions>,
) -> Result<HttpResponse, ApiError> {
    let digest = tokens::digest(&body.refresh_token);
    let now = sessions.now();
    db::run(&sessions.pool, move |conn| {
        if let Some(family) = refresh_tokens::family_of(conn, &digest)? {
            refresh_tokens::revoke_family(conn, family, now)?;
        }
        Ok(())
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}
