//! `GET /api/v1/complaints/{id}` and its history.

use actix_web::{web, HttpRequest, HttpResponse};
use kuaidi_shared::auth::Role;
use kuaidi_shared::capabilities::{caps, Authorized};
use kuaidi_shared::db;
use kuaidi_shared::deps::Deps;
use kuaidi_shared::extract::Query;
use kuaidi_shared::http::respond_with_etag;
use kuaidi_shared::openapi::{InvalidFields, NoValidToken, NotModified};
use kuaidi_shared::pagination::PageParams;
use kuaidi_shared::ApiError;
use uuid::Uuid;

use crate::api::complaints::{Complaint, History, HistoryEntry};
use crate::api::problems::{MayNotReadCases, NoSuchCase};
use crate::db::complaints::{self as repo, HistoryRow};
use crate::routes::SeqPaging;

/// A case. Another merchant's case is a 404.
#[utoipa::path(get, path = "/api/v1/complaints/{id}", tag = "complaints",
    params(("id" = Uuid, Path, description = "Case id")),
    responses((status = 200, description = "The case; `ETag` carries its version", body = Complaint),
        NotModified, NoValidToken, MayNotReadCases, NoSuchCase))]
pub async fn get_complaint(
    req: HttpRequest,
    caller: Authorized<caps::ComplaintsRead>,
    path: web::Path<Uuid>,
    deps: Deps,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    let who = caller.principal.clone();
    let row = db::run(&deps.pool, move |conn| {
        crate::db::complaints::visible_case(conn, &who, id, false)
    })
    .await?;
    let etag = format!("{}-{}", row.id.simple(), row.version);
    Ok(respond_with_etag(
        &req,
        &etag,
        &super::view_for(&caller, row),
    ))
}

/// Everything done to a case, oldest first (actor, action, from, to, payload, time), a page at
/// a time (`limit` 1–200, default 50; `cursor` from `next_cursor`); merchants and end
/// customers do not see internal comments.
#[utoipa::path(get, path = "/api/v1/complaints/{id}/history", tag = "complaints",
    params(("id" = Uuid, Path, description = "Case id"), PageParams),
    responses((status = 200, description = "A page of the case's history, oldest first", body = History),
        NoValidToken, MayNotReadCases, NoSuchCase, InvalidFields))]
pub async fn get_history(
    caller: Authorized<caps::ComplaintsRead>,
    path: web::Path<Uuid>,
    query: Query<PageParams>,
    deps: Deps,
) -> Result<HttpResponse, ApiError> {
    let q = query.into_inner();
    let paging = SeqPaging::parse(q.limit, q.cursor)?;
    let id = path.into_inner();
    // Merchants and end customers do not see the staff's internal notes.
    let outsider = super::require_staff(&caller).is_err() && caller.role != Role::Analyst;
    let rows = super::read_of_case(&deps, &caller, id, move |conn| {
        Ok(repo::history(
            conn,
            id,
            outsider,
            paging.after,
            paging.limit,
        )?)
    })
    .await?;
    let page = paging.page(
        rows,
        |r| r.id,
        |HistoryRow { id, entry: e }| HistoryEntry {
            id,
            actor: e.actor,
            action: e.action,
            from: e.from_status,
            to: e.to_status,
            payload: e.payload,
            time: e.at,
            at: e.at,
        },
    );
    Ok(HttpResponse::Ok().json(History {
        data: page.data,
        next_cursor: page.next_cursor,
    }))
}
