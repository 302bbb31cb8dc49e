//! `/api/v1/departments`: the directory of the complaint desk (rosters and supervisors), read
//! by staff, kept by admins and managers.

use actix_web::{web, HttpRequest, HttpResponse};
use kuaidi_shared::auth::Role;
use kuaidi_shared::capabilities::{caps, Authorized};
use kuaidi_shared::db;
use kuaidi_shared::deps::Deps;
use kuaidi_shared::http::respond_with_etag;
use kuaidi_shared::openapi::InvalidFields;
use kuaidi_shared::ApiError;
use uuid::Uuid;

use crate::api::departments::{DepartmentList, DepartmentView, PutDepartment};
use crate::api::problems::{
    AdminsAndManagersOnly, ChangedSinceIfMatch, NoSuchDepartment, StaffOnly,
};
use crate::db::departments::{self as repo, Roster};
use crate::domain::fields::json_body;
use crate::domain::fields::Fields;
use crate::domain::vocab::Department;
use crate::routes::complaints::act::if_match;

fn view(r: Roster) -> DepartmentView {
    DepartmentView {
        name: r.row.name,
        supervisor_id: r.row.supervisor_id,
        members: r.members,
        version: r.row.version,
        updated_by: r.row.updated_by,
        updated_at: r.row.updated_at,
    }
}

fn department(name: &str) -> Result<Department, ApiError> {
    name.parse().map_err(|_| ApiError::NotFound("department"))
}

/// Every department with its supervisor and roster.
#[utoipa::path(get, path = "/api/v1/departments", tag = "complaints",
    responses((status = 200, description = "The directory", body = DepartmentList),
        StaffOnly))]
pub async fn list_departments(
    caller: Authorized<caps::ComplaintsRead>,
    deps: Deps,
) -> Result<HttpResponse, ApiError> {
    crate::routes::complaints::require_staff(&caller)?;
    let rows = db::run(&deps.pool, |conn| Ok(repo::list(conn)?)).await?;
    Ok(HttpResponse::Ok().json(DepartmentList {
        data: rows.into_iter().map(view).collect(),
    }))
}

/// One department (`ETag`).
#[utoipa::path(get, path = "/api/v1/departments/{name}", tag = "complaints",
    params(("name" = String, Path, description = "customer_service | operations | legal | compliance | sales")),
    responses((status = 200, description = "The department", body = DepartmentView),
        StaffOnly, NoSuchDepartment))]
pub async fn get_department(
    req: HttpRequest,
    caller: Authorized<caps::ComplaintsRead>,
    path: web::Path<String>,
    deps: Deps,
) -> Result<HttpResponse, ApiError> {
    crate::routes::complaints::require_staff(&caller)?;
    let name = department(&path)?;
    let roster = db::run(&deps.pool, move |conn| {
        repo::find(conn, name, false)?.ok_or(ApiError::NotFound("department"))
    })
    .await?;
    let etag = format!("{}-{}", roster.row.name, roster.row.version);
    Ok(respond_with_etag(&req, &etag, &view(roster)))
}

/// Names the supervisor and replaces the roster (`If-Match` optional; stale → 412). People
/// listed leave any other roster. Admins and managers.
#[utoipa::path(put, path = "/api/v1/departments/{name}", tag = "complaints",
    params(("name" = String, Path, description = "customer_service | operations | legal | compliance | sales"), ("If-Match" = Option<String>, Header, description = "ETag or version the change is based on")),
    request_body = PutDepartment,
    responses((status = 200, description = "The department after the change", body = DepartmentView),
        AdminsAndManagersOnly, NoSuchDepartment, ChangedSinceIfMatch, InvalidFields))]
pub async fn put_department(
    req: HttpRequest,
    caller: Authorized<caps::ComplaintsRead>,
    path: web::Path<String>,
    body: web::Bytes,
    deps: Deps,
) -> Result<HttpResponse, ApiError> {
    caller.require(&[Role::Admin, Role::Manager])?;
    let name = department(&path)?;
    let (supervisor, members) = parse(json_body(&body)?)?;
    let expected = if_match(&req)?;
    let (who, now) = (caller.sub.clone(), deps.clock.now_micros());
    let roster = db::transaction(&deps.pool, move |conn| {
        let current = repo::find(conn, name, true)?.ok_or(ApiError::NotFound("department"))?;
        if expected.is_some_and(|v| v != current.row.version) {
            return Err(ApiError::PreconditionFailed);
        }
        repo::replace(conn, name, supervisor, &members, &who, now)?;
        repo::find(conn, name, false)?.ok_or(ApiError::NotFound("department"))
    })
    .await?;
    Ok(HttpResponse::Ok().json(view(roster)))
}

/// `{supervisor_id, members}`: every problem named at once.
fn parse(body: serde_json::Value) -> Result<(Option<Uuid>, Vec<Uuid>), ApiError> {
    let mut f = Fields::new(body);
    let supervisor = f.uuid("supervisor_id", false);
    let members = match f.raw().get("members") {
        Some(serde_json::Value::Array(items)) => {
            let ids: Vec<Option<Uuid>> = items
                .iter()
                .map(|v| v.as_str().and_then(|s| s.parse().ok()))
                .collect();
            if ids.iter().any(Option::is_none) {
                f.errors.push(kuaidi_shared::FieldError::new(
                    "members",
                    "must be an array of user ids (UUIDs)",
                ));
            }
            let mut ids: Vec<Uuid> = ids.into_iter().flatten().collect();
            ids.sort();
            ids.dedup();
            ids
        }
        _ => {
            f.errors.push(kuaidi_shared::FieldError::new(
                "members",
                "is required: an array of user ids (UUIDs)",
            ));
            Vec::new()
        }
    };
    if f.ok() {
        Ok((supervisor, members))
    } else {
        Err(ApiError::Validation(f.errors))
    }
}
