//! `/api/v1/users`: staff accounts.

use actix_web::http::header::{self, LOCATION};
use actix_web::{web, HttpRequest, HttpResponse};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use kuaidi_shared::auth::Role;
use kuaidi_shared::capabilities::{caps, Authorized};
use kuaidi_shared::db::{self, PgPool};
use kuaidi_shared::deps::Deps;
use kuaidi_shared::events::catalogue::{SessionsEndedReason, UserSessionsEndedV1};
use kuaidi_shared::events::{CloudEvent, Outbox};
use kuaidi_shared::extract::{Json, Query};
use kuaidi_shared::http::respond_with_etag;
use kuaidi_shared::openapi::{Forbidden, NotFound, Unprocessable};
use kuaidi_shared::request::RequestContext;
use kuaidi_shared::ApiError;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::{Page, PageParams};
use crate::api::problems::{BadUser, CannotDeactivateSelf, NotAnAdmin, UserChanged, UsernameTaken};
use crate::db::schema::users;
use crate::db::users::{self as repo, UserRow};
use crate::domain::accounts;
use crate::edge::Edge;
use crate::passwords;

/// Body of `POST /api/v1/users`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"username": "li.na", "password": "Courier-2026-spring", "role": "agent", "display_name": "李娜"}))]
pub struct CreateUser {
    /// 3–64 of a-z, 0-9, '.', '_', '-' (trimmed and lower-cased first).
    #[schema(pattern = r"^\s*[A-Za-z0-9._-]{3,64}\s*$")]
    pub username: String,
    /// 10–128 characters with letters and digits, not containing the username.
    #[schema(min_length = 10, max_length = 128)]
    pub password: String,
    #[schema(value_type = StaffRole)]
    pub role: String,
    #[serde(default)]
    pub display_name: Option<String>,
}

kuaidi_shared::string_enum_schema! {
    /// The roles of staff users.
    pub StaffRole = accounts::STAFF_ROLES.map(Role::as_str);
}

/// Body of `PATCH /api/v1/users/{id}` (send `If-Match` with the user's ETag).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateUser {
    pub display_name: Option<String>,
    #[schema(value_type = Option<StaffRole>)]
    pub role: Option<String>,
    pub disabled: Option<bool>,
    /// 10–128 characters with letters and digits, not containing the username.
    #[schema(min_length = 10, max_length = 128)]
    pub password: Option<String>,
}

/// A staff user (never with a password or its hash).
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct User {
    pub id: Uuid,
    pub username: String,
    pub role: String,
    pub display_name: Option<String>,
    pub disabled: bool,
    pub locked_until: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: i32,
}

impl From<UserRow> for User {
    fn from(r: UserRow) -> Self {
        Self {
            id: r.id,
            username: r.username,
            role: r.role,
            display_name: r.display_name,
            disabled: r.disabled,
            locked_until: r.locked_until,
            created_at: r.created_at,
            updated_at: r.updated_at,
            version: r.version,
        }
    }
}

fn etag(r: &UserRow) -> String {
    format!("{}-{}", r.id.simple(), r.version)
}

async fn find(pool: &PgPool, id: Uuid) -> Result<UserRow, ApiError> {
    db::run(pool, move |conn| {
        repo::find(conn, id)?.ok_or(ApiError::NotFound("user"))
    })
    .await
}

/// The user, unless `If-Match` names another version of them (`412`).
async fn matching(req: &HttpRequest, pool: &PgPool, id: Uuid) -> Result<UserRow, ApiError> {
    let if_match = req
        .headers()
        .get(header::IF_MATCH)
        .and_then(|v| v.to_str().ok())
        .map(|s| s.trim().trim_matches('"').to_owned());
    let current = find(pool, id).await?;
    match if_match {
        Some(m) if m != "*" && m != etag(&current) => Err(ApiError::PreconditionFailed),
        _ => Ok(current),
    }
}

/// Stores a new user unless the username is taken.
fn insert_new(conn: &mut PgConnection, row: UserRow) -> Result<UserRow, ApiError> {
    if repo::find_by_username(conn, &row.username)?.is_some() {
        return Err(ApiError::conflict(
            "username_taken",
            "a user with this username exists",
        ));
    }
    repo::insert(conn, &row)?;
    Ok(row)
}

/// Creates a staff user.
#[utoipa::path(post, path = "/api/v1/users", tag = "admin", request_body = CreateUser,
    responses((status = 201, description = "Created", body = User),
        NotAnAdmin, UsernameTaken, BadUser))]
pub async fn create_user(
    admin: super::AdminCall,
    body: Json<CreateUser>,
) -> Result<HttpResponse, ApiError> {
    let b = body.into_inner();
    let username = b.username.trim().to_lowercase();
    let mut errors = Vec::new();
    accounts::username(&mut errors, &username);
    accounts::password_policy(&mut errors, &b.password, &username);
    accounts::staff_role(&mut errors, &b.role);
    accounts::valid(errors).map_err(ApiError::Validation)?;
    let password = b.password;
    let hash = web::block(move || passwords::hash(&password)).await??;
    let now = admin.now();
    let row = UserRow::new(username, hash, b.role, b.display_name, now);
    let stored = db::run(admin.pool(), move |conn| insert_new(conn, row)).await?;
    let entry = admin
        .entry("user.create", stored.id)
        .details(serde_json::json!({"username": stored.username, "role": stored.role}));
    admin.audit(entry).await;
    Ok(HttpResponse::Created()
        .insert_header((LOCATION, format!("/api/v1/users/{}", stored.id)))
        .insert_header(header::ETag(header::EntityTag::new_strong(etag(&stored))))
        .json(User::from(stored)))
}

/// Filters of `GET /api/v1/users`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UserFilters {
    /// Only the users of this role.
    #[param(value_type = Option<StaffRole>)]
    pub role: Option<String>,
}

/// Lists staff users, newest first; `role` keeps those of one role.
#[utoipa::path(get, path = "/api/v1/users", tag = "admin", params(UserFilters, PageParams),
    responses((status = 200, description = "A page of users", body = Page<User>),
        Forbidden, Unprocessable))]
pub async fn list_users(
    _admin: Authorized<caps::Administration>,
    filters: Query<UserFilters>,
    page: Query<PageParams>,
    deps: Deps,
) -> Result<HttpResponse, ApiError> {
    let role = super::role_filter(filters.into_inner().role, accounts::staff_role)?;
    super::newest_page!(
        deps.pool,
        page,
        users,
        UserRow,
        User::from,
        users::role = role
    )
}

/// One staff user, with an `ETag`.
#[utoipa::path(get, path = "/api/v1/users/{id}", tag = "admin", params(("id" = Uuid, Path)),
    responses((status = 200, description = "The user", body = User),
        NotFound))]
pub async fn get_user(
    req: HttpRequest,
    _admin: Authorized<caps::Administration>,
    path: web::Path<Uuid>,
    deps: Deps,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    let row = find(&deps.pool, id).await?;
    let tag = etag(&row);
    Ok(respond_with_etag(&req, &tag, &User::from(row)))
}

/// Changes a user's name, role, password or disabled flag. `If-Match` with a stale ETag is a
/// `412`.
#[utoipa::path(patch, path = "/api/v1/users/{id}", tag = "admin", params(("id" = Uuid, Path)),
    request_body = UpdateUser,
    responses((status = 200, description = "The updated user", body = User),
        NotFound, UserChanged, Unprocessable))]
pub async fn update_user(
    admin: super::AdminCall,
    path: web::Path<Uuid>,
    body: Json<UpdateUser>,
    edge: web::Data<Edge>,
    outbox: web::Data<Outbox>,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    let b = body.into_inner();
    let current = matching(admin.req(), admin.pool(), id).await?;
    refuse_invalid(&b, &current.username)?;
    let hash = match b.password.clone() {
        Some(p) => Some(web::block(move || passwords::hash(&p)).await??),
        None => None,
    };
    let now = admin.now();
    let changes = serde_json::json!({"role": b.role, "disabled": b.disabled, "display_name": b.display_name, "password_changed": hash.is_some()});
    // A new password, another role or a deactivation ends every session of the user.
    let ends_sessions = if b.disabled == Some(true) {
        Some(SessionsEndedReason::Deactivated)
    } else if hash.is_some() {
        Some(SessionsEndedReason::PasswordChanged)
    } else if b.role.as_ref().is_some_and(|r| *r != current.role) {
        Some(SessionsEndedReason::RoleChanged)
    } else {
        None
    };
    let updated = UserRow {
        display_name: b.display_name.or(current.display_name.clone()),
        role: b.role.unwrap_or(current.role.clone()),
        disabled: b.disabled.unwrap_or(current.disabled),
        password_hash: hash.unwrap_or(current.password_hash.clone()),
        updated_at: now,
        version: current.version + 1,
        ..current
    };
    let (row, ctx) = (updated.clone(), admin.ctx.clone());
    db::transaction(admin.pool(), move |conn| {
        if !repo::update_if_unchanged(conn, &row)? {
            return Err(ApiError::PreconditionFailed);
        }
        if let Some(reason) = ends_sessions {
            end_sessions(conn, id, reason, &ctx, now)?;
        }
        Ok(())
    })
    .await?;
    // Their live access tokens too, at once on this replica (`crate::edge`).
    edge.forget();
    outbox.wake();
    admin
        .audit(admin.entry("user.update", id).details(changes))
        .await;
    Ok(HttpResponse::Ok()
        .insert_header(header::ETag(header::EntityTag::new_strong(etag(&updated))))
        .json(User::from(updated)))
}

/// 422 naming every field of `b` a staff user named `username` may not have.
fn refuse_invalid(b: &UpdateUser, username: &str) -> Result<(), ApiError> {
    let mut errors = Vec::new();
    if let Some(r) = &b.role {
        accounts::staff_role(&mut errors, r);
    }
    if let Some(p) = &b.password {
        accounts::password_policy(&mut errors, p, username);
    }
    accounts::valid(errors).map_err(ApiError::Validation)
}

/// Deactivates a user: they can no longer log in and their sessions end. Users are never
/// deleted outright, so the audit log keeps pointing at someone.
#[utoipa::path(delete, path = "/api/v1/users/{id}", tag = "admin", params(("id" = Uuid, Path)),
    responses((status = 204, description = "Deactivated"),
        NotFound, CannotDeactivateSelf))]
pub async fn delete_user(
    admin: super::AdminCall,
    path: web::Path<Uuid>,
    edge: web::Data<Edge>,
    outbox: web::Data<Outbox>,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    if admin.user_id() == Some(id) {
        return Err(ApiError::conflict(
            "cannot_deactivate_self",
            "an admin cannot deactivate their own account",
        ));
    }
    let (now, ctx) = (admin.now(), admin.ctx.clone());
    db::transaction(admin.pool(), move |conn| {
        let n = diesel::update(users::table.find(id))
            .set((
                users::disabled.eq(true),
                users::updated_at.eq(now),
                users::version.eq(users::version + 1),
            ))
            .execute(conn)?;
        if n == 0 {
            return Err(ApiError::NotFound("user"));
        }
        Ok(end_sessions(
            conn,
            id,
            SessionsEndedReason::Deactivated,
            &ctx,
            now,
        )?)
    })
    .await?;
    // Their live access tokens are refused at once on this replica (`crate::edge`).
    edge.forget();
    outbox.wake();
    admin.audit(admin.entry("user.delete", id)).await;
    Ok(HttpResponse::NoContent().finish())
}

/// Ends every session of user `id` at `now`, in the caller's transaction: their refresh tokens
/// are revoked, their access tokens issued until now are refused by this gateway (the user's
/// `sessions_ended_at`) and, once `user.sessions_ended` reaches them, by every service.
fn end_sessions(
    conn: &mut PgConnection,
    id: Uuid,
    reason: SessionsEndedReason,
    ctx: &RequestContext,
    now: DateTime<Utc>,
) -> QueryResult<()> {
    crate::db::refresh_tokens::revoke_user(conn, id, now)?;
    let ended_at = repo::end_sessions(conn, id, now)?;
    let payload = UserSessionsEndedV1 {
        user_id: id,
        subject: id.to_string(),
        ended_at,
        reason,
    };
    Outbox::enqueue(conn, &CloudEvent::about("gateway", id, &payload, ctx, now))
}
