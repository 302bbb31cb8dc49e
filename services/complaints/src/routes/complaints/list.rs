//! `GET /api/v1/complaints`: work queues.

use actix_web::HttpResponse;
use kuaidi_shared::capabilities::{caps, Authorized};
use kuaidi_shared::db;
use kuaidi_shared::deps::Deps;
use kuaidi_shared::extract::Query;
use kuaidi_shared::openapi::NoValidToken;
use kuaidi_shared::pagination::{Cursor, Page, PageParams};
use kuaidi_shared::ApiError;

use crate::api::complaints::{ComplaintFilters, ComplaintPage};
use crate::api::problems::{InvalidFilters, MayNotReadCases};
use crate::db::queue;

/// Cases filtered by status, type, category, priority, assignee (`me`), department, customer,
/// tracking number, merchant, SLA state (`warned`, `breached`) and time of receipt (a
/// `received_from` after `received_to` is a 422 naming both), the most urgent SLA deadline
/// first; cursor pagination. Merchants see their own cases, end customers
/// the cases they opened.
#[utoipa::path(get, path = "/api/v1/complaints", tag = "complaints", params(ComplaintFilters),
    responses((status = 200, description = "A page of cases", body = ComplaintPage),
        NoValidToken, MayNotReadCases, InvalidFilters))]
pub async fn list_complaints(
    caller: Authorized<caps::ComplaintsRead>,
    query: Query<ComplaintFilters>,
    deps: Deps,
) -> Result<HttpResponse, ApiError> {
    let query = query.into_inner();
    let (limit, cursor) = PageParams {
        limit: query.limit,
        cursor: query.cursor.clone(),
    }
    .parse()?;
    let filters = query.parse(&caller)?;
    let rows = db::run(&deps.pool, move |conn| {
        Ok(queue::page(conn, &filters, cursor, limit)?)
    })
    .await?;
    let page = Page::from_rows(
        rows,
        limit,
        |(row, due)| Cursor {
            at: due.unwrap_or(row.resolution_due),
            id: row.id,
        },
        |(row, _)| super::view_for(&caller, row),
    );
    Ok(HttpResponse::Ok().json(page))
}
