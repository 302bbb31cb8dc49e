//! `GET /api/v1/customers/duplicates`.

use actix_web::HttpResponse;
use kuaidi_shared::auth::Role;
use kuaidi_shared::capabilities::{caps, Authorized};
use kuaidi_shared::db;
use kuaidi_shared::extract::Query;
use kuaidi_shared::pagination::{Page, PageParams};
use kuaidi_shared::ApiError;

use crate::api::care::DuplicatePair;
use crate::api::problems::StaffOnly;
use crate::db::duplicates;
use crate::domain::search::{offset_cursor, parse_offset};
use kuaidi_shared::deps::Deps;

/// Candidate duplicate pairs (same phone, email, credit code, or the same name), for review
/// before a merge.
#[utoipa::path(get, path = "/api/v1/customers/duplicates", tag = "customers", params(PageParams),
    responses((status = 200, description = "`{data, next_cursor}`", body = inline(Page<DuplicatePair>)),
        StaffOnly))]
pub async fn list_duplicates(
    caller: Authorized<caps::CustomersRead>,
    page: Query<PageParams>,
    deps: Deps,
) -> Result<HttpResponse, ApiError> {
    caller.require(&[
        Role::Admin,
        Role::Manager,
        Role::Supervisor,
        Role::Agent,
        Role::Analyst,
    ])?;
    let (limit, _) = PageParams {
        limit: page.limit,
        cursor: None,
    }
    .parse()?;
    let offset = parse_offset(page.cursor.as_deref())?;
    let rows = db::run(&deps.pool, move |conn| {
        Ok(duplicates::pairs(conn, offset, limit)?)
    })
    .await?;
    let more = rows.len() as i64 > limit;
    let data = rows
        .into_iter()
        .take(limit as usize)
        .map(|p| DuplicatePair {
            customer_id: p.customer_id,
            duplicate_id: p.duplicate_id,
            matched_on: p.matched_on,
        })
        .collect();
    let next_cursor = more.then(|| offset_cursor(offset + limit));
    Ok(HttpResponse::Ok().json(Page { data, next_cursor }))
}
