//! `GET /api/v1/complaints/{id}` and its history.

use actix_web::{web, HttpRequest, HttpResponse};
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
use crate::db::history::{self, HistoryRow};
use crate::domain::history::{public_actor, public_payload};
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
/// a time (`limit` 1–200, default 50; `cursor` from `next_cursor`).
///
/// Staff and analysts read the whole history. Merchants and end customers read what a
/// requester of a support ticket reads: every change of status (action, from, to, time), the
/// public comments, a repeated report, the evidence added (which they may list anyway) and a
/// survey's answer. Their payloads keep only what is meant for the customer — the receipt's
/// and a repeated report's `channel` (and the repeat's `description`), a triage's `reply`, a
/// resolution's `resolution` and `customer_notified_at`, a closing's `resolution_code`, a
/// public comment's `text`, evidence's `evidence_id` and `kind`, a survey's `overall` — and
/// never the handlers' internal notes, proposals (plan, compensation, investigation report),
/// the reasons of a rejection or a reopening, assignees, escalations or SLA warnings and
/// breaches. Their `actor` is a role (`staff`, `merchant`, `customer`, `system`), never a
/// user id or another person's phone hash.
#[utoipa::path(get, path = "/api/v1/complaints/{id}/history", tag = "complaints",
    params(("id" = Uuid, Path, description = "Case id"), PageParams),
    responses((status = 200, description = "A page of the case's history, oldest first (for merchants and end customers, its public part)", body = History),
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
    let outsider = super::outsider(&caller);
    let rows = super::read_of_case(&deps, &caller, id, move |conn| {
        Ok(history::page(
            conn,
            id,
            outsider,
            paging.after,
            paging.limit,
        )?)
    })
    .await?;
    let page = paging.page(rows, |r| r.id, |r| entry(r, outsider));
    Ok(HttpResponse::Ok().json(History {
        data: page.data,
        next_cursor: page.next_cursor,
    }))
}

/// An entry as the caller reads it: whole for staff, its public part for an `outsider`
/// (`domain::history`).
fn entry(HistoryRow { id, entry: e }: HistoryRow, outsider: bool) -> HistoryEntry {
    let (actor, payload) = if outsider {
        let actor = public_actor(&e.actor, e.actor_role.as_deref());
        (actor.to_owned(), public_payload(&e.action, &e.payload))
    } else {
        (e.actor, e.payload)
    };
    HistoryEntry {
        id,
        actor,
        action: e.action,
        from: e.from_status,
        to: e.to_status,
        payload,
        time: e.at,
        at: e.at,
    }
}
