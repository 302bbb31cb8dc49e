//! `POST /api/v1/auth/refresh` and `POST /api/v1/auth/logout`: rotating refresh tokens. Each
//! refresh token works once; presenting a used one again means it was stolen, so the whole
//! family (every token descended from that login) is revoked.

use actix_web::{web, HttpRequest, HttpResponse};
use chrono::{Duration, Utc};
use diesel::prelude::*;
use kuaidi_shared::auth::Role;
use kuaidi_shared::db::{self, PgPool};
use kuaidi_shared::request::RequestContext;
use kuaidi_shared::ApiError;
use serde::Deserialize;
use utoipa::ToSchema;
use uuid::Uuid;

use super::login::TokenResponse;
use crate::api::problems::BadRefreshToken;
use crate::audit::{self, Audit};
use crate::configuration::GatewaySettings;
use crate::db::schema::{refresh_tokens, users};
use crate::db::users::insert_refresh_token;
use crate::keys::KeyRing;
use crate::tokens::{self, Subject};

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RefreshRequest {
    pub refresh_token: String,
}

enum Outcome {
    Rotated {
        user_id: Uuid,
        role: String,
        family: Uuid,
    },
    Reused {
        user_id: Uuid,
    },
}

/// Exchanges a refresh token for a new access token and a new refresh token.
#[utoipa::path(
    post,
    path = "/api/v1/auth/refresh",
    tag = "auth",
    request_body = RefreshRequest,
    responses(
        (status = 200, description = "New tokens; the presented refresh token is spent", body = TokenResponse),
        BadRefreshToken,
    )
)]
pub async fn refresh(
    req: HttpRequest,
    ctx: RequestContext,
    body: web::Json<RefreshRequest>,
    pool: web::Data<PgPool>,
    keys: web::Data<KeyRing>,
    settings: web::Data<GatewaySettings>,
) -> Result<HttpResponse, ApiError> {
    let digest = tokens::digest(&body.refresh_token);
    let now = Utc::now();
    let outcome = db::transaction(&pool, move |conn| {
        type Row = (
            Uuid,
            Uuid,
            Option<chrono::DateTime<Utc>>,
            Option<chrono::DateTime<Utc>>,
            chrono::DateTime<Utc>,
        );
        let row: Option<Row> = refresh_tokens::table
            .filter(refresh_tokens::token_hash.eq(&digest))
            .select((
                refresh_tokens::user_id,
                refresh_tokens::family_id,
                refresh_tokens::used_at,
                refresh_tokens::revoked_at,
                refresh_tokens::expires_at,
            ))
            .for_update()
            .first(conn)
            .optional()?;
        let denied = || ApiError::Unauthorized("invalid refresh token".into());
        let (user_id, family, used_at, revoked_at, expires_at) = row.ok_or_else(denied)?;
        if revoked_at.is_some() || expires_at <= now {
            return Err(denied());
        }
        if used_at.is_some() {
            diesel::update(refresh_tokens::table.filter(refresh_tokens::family_id.eq(family)))
                .set(refresh_tokens::revoked_at.eq(now))
                .execute(conn)?;
            return Ok(Outcome::Reused { user_id });
        }
        diesel::update(refresh_tokens::table.filter(refresh_tokens::token_hash.eq(&digest)))
            .set(refresh_tokens::used_at.eq(now))
            .execute(conn)?;
        let (role, disabled): (String, bool) = users::table
            .find(user_id)
            .select((users::role, users::disabled))
            .first(conn)?;
        if disabled {
            return Err(denied());
        }
        Ok(Outcome::Rotated {
            user_id,
            role,
            family,
        })
    })
    .await?;
    let (user_id, role, family) = match outcome {
        Outcome::Reused { user_id } => {
            audit::record(
                &pool,
                &ctx,
                audit::client_ip(&req),
                Audit {
                    principal: Some(user_id.to_string()),
                    role: None,
                    action: "auth.refresh_reuse",
                    target: Some(user_id.to_string()),
                    outcome: "denied",
                    details: serde_json::json!({"family_revoked": true}),
                },
            )
            .await;
            return Err(ApiError::Unauthorized(
                "refresh token already used; the session is revoked".into(),
            ));
        }
        Outcome::Rotated {
            user_id,
            role,
            family,
        } => (user_id, role, family),
    };
    let role = Role::parse(&role).ok_or_else(|| anyhow::anyhow!("stored role {role:?}"))?;
    let access = tokens::access_token(
        &keys,
        &settings.jwt,
        &Subject::new(user_id.to_string(), role, Vec::new(), None),
        now,
        settings.jwt.access_ttl_secs,
    )?;
    let (refresh, digest) = tokens::refresh_token();
    let ttl = Duration::seconds(settings.jwt.refresh_ttl_secs);
    db::run(&pool, move |conn| {
        Ok(insert_refresh_token(
            conn,
            user_id,
            family,
            &digest,
            now,
            now + ttl,
        )?)
    })
    .await?;
    audit::record(
        &pool,
        &ctx,
        audit::client_ip(&req),
        Audit {
            principal: Some(user_id.to_string()),
            role: Some(role.as_str().into()),
            action: "auth.refresh",
            target: None,
            outcome: "success",
            details: serde_json::json!({}),
        },
    )
    .await;
    Ok(HttpResponse::Ok()
        .insert_header(("cache-control", "no-store"))
        .json(TokenResponse {
            access_token: access,
            token_type: "Bearer".into(),
            expires_in: settings.jwt.access_ttl_secs,
            refresh_token: refresh,
        }))
}

/// Ends a session: the refresh token and its whole family stop working.
#[utoipa::path(
    post,
    path = "/api/v1/auth/logout",
    tag = "auth",
    request_body = RefreshRequest,
    responses((status = 204, description = "Logged out (also for an unknown token)"))
)]
pub async fn logout(
    body: web::Json<RefreshRequest>,
    pool: web::Data<PgPool>,
) -> Result<HttpResponse, ApiError> {
    let digest = tokens::digest(&body.refresh_token);
    db::run(&pool, move |conn| {
        let family: Option<Uuid> = refresh_tokens::table
            .filter(refresh_tokens::token_hash.eq(&digest))
            .select(refresh_tokens::family_id)
            .first(conn)
            .optional()?;
        if let Some(family) = family {
            diesel::update(refresh_tokens::table.filter(refresh_tokens::family_id.eq(family)))
                .set(refresh_tokens::revoked_at.eq(Utc::now()))
                .execute(conn)?;
        }
        Ok(())
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}
