//! `POST /api/v1/auth/refresh` and `POST /api/v1/auth/logout`: rotating refresh tokens. Each
//! refresh token works once; presenting a used one again means it was stolen, so the whole
//! family (every token descended from that login) is revoked.

use actix_web::{web, HttpRequest, HttpResponse};
use chrono::{DateTime, Utc};
use diesel::PgConnection;
use kuaidi_shared::auth::Role;
use kuaidi_shared::db;
use kuaidi_shared::request::RequestContext;
use kuaidi_shared::ApiError;
use uuid::Uuid;

use crate::api::auth::{RefreshRequest, TokenResponse};
use crate::api::problems::BadRefreshToken;
use crate::audit::{Audit, Auditor};
use crate::db::refresh_tokens;
use crate::db::users;
use crate::lockout::AuthLimits;
use crate::sessions::{Refreshable, Sessions};
use crate::tokens::{self, Subject};

enum Outcome {
    Rotated {
        user_id: Uuid,
        role: String,
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
    body: web::Json<RefreshRequest>,
    sessions: web::Data<Sessions>,
    auditor: web::Data<Auditor>,
    limits: web::Data<AuthLimits>,
) -> Result<HttpResponse, ApiError> {
    limits.check(&req, None)?;
    let digest = tokens::digest(&body.refresh_token);
    let now = sessions.now();
    let outcome =
        match db::transaction(&sessions.pool, move |conn| rotate(conn, &digest, now)).await {
            Err(ApiError::Unauthorized(why)) => {
                let entry = Audit::failure("auth.refresh", serde_json::json!({"reason": why}));
                auditor.record(&req, &ctx, entry).await;
                return Err(ApiError::Unauthorized(why));
            }
            other => other?,
        };
    let (user_id, role, family, started_at) = match outcome {
        Outcome::Reused { user_id } => {
            let who = Some(user_id.to_string());
            let entry = Audit {
                principal: who.clone(),
                role: None,
                action: "auth.refresh_reuse",
                target: who,
                outcome: "denied",
                details: serde_json::json!({"family_revoked": true}),
            };
            auditor.record(&req, &ctx, entry).await;
            return Err(ApiError::Unauthorized(
                "refresh token already used; the session is revoked".into(),
            ));
        }
        Outcome::Rotated {
            user_id,
            role,
            family,
            started_at,
        } => (user_id, role, family, started_at),
    };
    let role = Role::parse(&role).ok_or_else(|| anyhow::anyhow!("stored role {role:?}"))?;
    let subject = Subject::new(user_id.to_string(), role, Vec::new(), None);
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
        user_id: user.id,
        role: user.role,
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
    body: web::Json<RefreshRequest>,
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
