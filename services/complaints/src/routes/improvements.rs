//! `/api/v1/improvement-actions`: list (by root cause and status), create, read, patch.

use actix_web::http::header::{ETag, EntityTag, LOCATION};
use actix_web::{web, HttpRequest, HttpResponse};
use diesel::PgConnection;
use kuaidi_shared::auth::{Principal, Role};
use kuaidi_shared::capabilities::{caps, Authorized};
use kuaidi_shared::clock::new_id;
use kuaidi_shared::db;
use kuaidi_shared::deps::Deps;
use kuaidi_shared::extract::Query;
use kuaidi_shared::http::respond_with_etag;
use kuaidi_shared::openapi::{InvalidFields, NotModified};
use kuaidi_shared::{ApiError, FieldError};
use uuid::Uuid;

use crate::api::improvements::{Improvement, ImprovementBody, ImprovementPage, ImprovementQuery};
use crate::api::problems::{ChangedSinceIfMatch, InvalidFilters, NoSuchAction, StaffOnly};
use crate::db::improvements::{self as repo, ImprovementRow};
use crate::domain::fields::{json_body, query_enum};
use crate::domain::improvement::{Changes, Measure};
use crate::domain::vocab::{ImprovementStatus, RootCause};
use crate::routes::complaints::act::if_match;
use crate::routes::Paging;

fn view(r: ImprovementRow) -> Improvement {
    Improvement {
        id: r.id,
        root_cause: r.root_cause,
        goal: r.goal,
        method: r.method,
        owner_id: r.owner_id,
        due_at: r.due_at,
        status: r.status,
        metric: r.metric,
        baseline: r.baseline.map(Measure::from_json),
        result: r.result.map(Measure::from_json),
        complaint_ids: r.complaint_ids,
        created_at: r.created_at,
        updated_at: r.updated_at,
        version: r.version,
    }
}

/// The `ETag` of an action's current version (unquoted), on a `GET` and after each change.
fn etag(r: &ImprovementRow) -> String {
    format!("{}-{}", r.id.simple(), r.version)
}

/// Staff and analysts read; staff write.
fn reader(who: &Principal) -> Result<(), ApiError> {
    who.require(&[
        Role::Admin,
        Role::Manager,
        Role::Supervisor,
        Role::Agent,
        Role::Analyst,
    ])
}

/// Applies the changes given; the linked cases must exist.
fn apply(conn: &mut PgConnection, row: &mut ImprovementRow, c: Changes) -> Result<(), ApiError> {
    if let Some(ids) = &c.complaint_ids {
        let unknown = repo::unknown_cases(conn, ids)?;
        if !unknown.is_empty() {
            return Err(ApiError::Validation(vec![FieldError::new(
                "complaint_ids",
                format!("no such cases: {unknown:?}"),
            )]));
        }
    }
    macro_rules! set { ($($f:ident),*) => { $( if c.$f.is_some() { row.$f = c.$f; } )* }; }
    set!(method, owner_id, due_at, metric);
    if let Some(v) = c.baseline {
        row.baseline = Some(v.into_json());
    }
    if let Some(v) = c.result {
        row.result = Some(v.into_json());
    }
    if let Some(v) = c.root_cause {
        row.root_cause = v.to_string();
    }
    if let Some(v) = c.goal {
        row.goal = v;
    }
    if let Some(v) = c.status {
        row.status = v.to_string();
    }
    if let Some(v) = c.complaint_ids {
        row.complaint_ids = v;
    }
    Ok(())
}

/// Improvement actions, oldest first, filtered by root cause and status.
#[utoipa::path(get, path = "/api/v1/improvement-actions", tag = "improvement-actions",
    params(ImprovementQuery),
    responses((status = 200, description = "A page", body = ImprovementPage),
        InvalidFilters))]
pub async fn list_improvements(
    caller: Authorized<caps::ComplaintsRead>,
    query: Query<ImprovementQuery>,
    deps: Deps,
) -> Result<HttpResponse, ApiError> {
    reader(&caller)?;
    let q = query.into_inner();
    let paging = Paging::parse(q.limit, q.cursor.clone())?;
    let mut errors = Vec::new();
    let (root_cause, status) = (q.root_cause.as_deref(), q.status.as_deref());
    query_enum::<RootCause>(&mut errors, "root_cause", root_cause, &RootCause::listed());
    let statuses = ImprovementStatus::listed();
    query_enum::<ImprovementStatus>(&mut errors, "status", status, &statuses);
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    let rows = db::run(&deps.pool, move |conn| {
        Ok(repo::page(
            conn,
            q.root_cause,
            q.status,
            paging.after,
            paging.limit,
        )?)
    })
    .await?;
    let key = |r: &ImprovementRow| (r.created_at, r.id);
    Ok(HttpResponse::Ok().json(paging.page(rows, key, view)))
}

/// Creates an improvement action (root cause and goal required; status `planned` by default).
#[utoipa::path(post, path = "/api/v1/improvement-actions", tag = "improvement-actions",
    request_body = ImprovementBody,
    responses((status = 201, description = "Created; `ETag` carries its version", body = Improvement),
        StaffOnly, InvalidFields))]
pub async fn create_improvement(
    caller: Authorized<caps::ComplaintsRead>,
    body: web::Bytes,
    deps: Deps,
) -> Result<HttpResponse, ApiError> {
    crate::routes::complaints::require_staff(&caller)?;
    let changes = Changes::parse(json_body(&body)?, true)?;
    let now = deps.clock.now_micros();
    let row = db::transaction(&deps.pool, move |conn| {
        let mut row = ImprovementRow {
            id: new_id(),
            root_cause: String::new(),
            goal: String::new(),
            method: None,
            owner_id: None,
            due_at: None,
            status: ImprovementStatus::Planned.to_string(),
            metric: None,
            baseline: None,
            result: None,
            complaint_ids: vec![],
            created_at: now,
            updated_at: now,
            version: 1,
        };
        apply(conn, &mut row, changes)?;
        repo::insert(conn, &row)?;
        Ok(row)
    })
    .await?;
    Ok(HttpResponse::Created()
        .insert_header((LOCATION, format!("/api/v1/improvement-actions/{}", row.id)))
        .insert_header(ETag(EntityTag::new_strong(etag(&row))))
        .json(view(row)))
}

/// One improvement action (`ETag`).
#[utoipa::path(get, path = "/api/v1/improvement-actions/{id}", tag = "improvement-actions",
    params(("id" = Uuid, Path, description = "Improvement action id")),
    responses((status = 200, description = "The action; `ETag` carries its version", body = Improvement),
        NotModified, NoSuchAction))]
pub async fn get_improvement(
    req: HttpRequest,
    caller: Authorized<caps::ComplaintsRead>,
    path: web::Path<Uuid>,
    deps: Deps,
) -> Result<HttpResponse, ApiError> {
    reader(&caller)?;
    let id = path.into_inner();
    let row = db::run(&deps.pool, move |conn| {
        repo::find(conn, id, false)?.ok_or(ApiError::NotFound("improvement action"))
    })
    .await?;
    Ok(respond_with_etag(&req, &etag(&row), &view(row)))
}

/// Changes the fields given (`If-Match` optional; stale → 412). The answer carries the new
/// version's `ETag`, as a `GET` would. A body that changes nothing (`{}`, or only the values
/// stored) makes no new version: the answer is the action as it was, with the same `ETag`. A
/// field that is not one of the body's is a `422` naming it (`id`, `version`, `created_at` and
/// `updated_at` are read-only).
#[utoipa::path(patch, path = "/api/v1/improvement-actions/{id}", tag = "improvement-actions",
    params(("id" = Uuid, Path, description = "Improvement action id")),
    request_body = ImprovementBody,
    responses((status = 200, description = "The action after the change; `ETag` carries its version (a new one only when something changed)", body = Improvement),
        NoSuchAction, ChangedSinceIfMatch, InvalidFields))]
pub async fn patch_improvement(
    req: HttpRequest,
    caller: Authorized<caps::ComplaintsRead>,
    path: web::Path<Uuid>,
    body: web::Bytes,
    deps: Deps,
) -> Result<HttpResponse, ApiError> {
    crate::routes::complaints::require_staff(&caller)?;
    let (changes, expected) = (Changes::parse(json_body(&body)?, false)?, if_match(&req)?);
    let (id, now) = (path.into_inner(), deps.clock.now_micros());
    let row = db::transaction(&deps.pool, move |conn| {
        let mut row =
            repo::find(conn, id, true)?.ok_or(ApiError::NotFound("improvement action"))?;
        if expected.is_some_and(|v| v != row.version) {
            return Err(ApiError::PreconditionFailed);
        }
        let before = row.clone();
        apply(conn, &mut row, changes)?;
        // A change that changes nothing is no new version: others' If-Match stays good.
        if row != before {
            row.version += 1;
            row.updated_at = now;
            repo::save(conn, &row)?;
        }
        Ok(row)
    })
    .await?;
    Ok(HttpResponse::Ok()
        .insert_header(ETag(EntityTag::new_strong(etag(&row))))
        .json(view(row)))
}
