//! `GET /api/v1/customers`: search and filters.

use actix_web::HttpResponse;
use kuaidi_shared::capabilities::{caps, Authorized};
use kuaidi_shared::db;
use kuaidi_shared::extract::Query;
use kuaidi_shared::pagination::Page;
use kuaidi_shared::ApiError;

use super::view::list_views;
use crate::api::customers::Customer;
use crate::api::problems::InvalidFiltersEach;
use crate::api::search::SearchParams;
use crate::workflow::search::Search;
use kuaidi_shared::deps::Deps;

/// Finds customers: an exact phone, email or unified social credit code, or a ranked search of
/// names and of businesses' `company.legal_name`, with filters; cursor-paginated. PII is masked
/// as for single reads.
#[utoipa::path(get, path = "/api/v1/customers", tag = "customers", params(SearchParams),
    responses((status = 200, description = "`{data, next_cursor}`", body = inline(Page<Customer>)),
        InvalidFiltersEach))]
pub async fn list_customers(
    caller: Authorized<caps::CustomersRead>,
    params: Query<SearchParams>,
    deps: Deps,
) -> Result<HttpResponse, ApiError> {
    let p = params.into_inner();
    let limit = p.validate()?;
    let pii = deps.pii.clone();
    let search = Search::new(p.filter(), p.identity(&pii), p.cursor, &caller.principal);
    let (now, who) = (deps.clock.now(), caller.principal.clone());
    let page = db::run(&deps.pool, move |conn| {
        let rows = search.page(conn, limit, &who)?;
        Ok(Page {
            data: list_views(conn, rows.data, now, &pii, &who)?,
            next_cursor: rows.next_cursor,
        })
    })
    .await?;
    let mut resp = HttpResponse::Ok().json(&page);
    super::mark_unmasked(&mut resp, &caller, &page.data.iter().collect::<Vec<_>>());
    Ok(resp)
}
