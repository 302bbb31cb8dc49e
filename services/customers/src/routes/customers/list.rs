//! `GET /api/v1/customers`: search and filters.

use actix_web::{web, HttpResponse};
use kuaidi_shared::auth::Role;
use kuaidi_shared::capabilities::{caps, Authorized};
use kuaidi_shared::clock::Clock;
use kuaidi_shared::crypto::{normalise_email, normalise_phone, PiiCipher};
use kuaidi_shared::db::{self, PgPool};
use kuaidi_shared::http::mark_pii_read;
use kuaidi_shared::pagination::{Cursor, Page, PageParams};
use kuaidi_shared::problem::Problem;
use kuaidi_shared::ApiError;
use serde::Deserialize;
use utoipa::IntoParams;
use uuid::Uuid;

use super::{access, view};
use crate::api::customers::Customer;
use crate::db::customers as repo;
use crate::db::search::{self, Filter, Query};
use crate::domain::enums::{parse_opt, CityTier, Kind, Stage, ValueTier};
use crate::domain::new_customer::credit_code;
use crate::routes::{offset_cursor, parse_offset};

/// Query of `GET /api/v1/customers`.
#[derive(Debug, Clone, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SearchParams {
    /// An exact phone, email or unified social credit code (matched through the blind index),
    /// otherwise a name (case- and accent-insensitive, best matches first).
    pub q: Option<String>,
    /// `individual` | `business`.
    pub kind: Option<String>,
    /// `key` | `ordinary` | `small`.
    pub value_tier: Option<String>,
    /// `prospect` | `new` | `active` | `loyal` | `at_risk` | `churned`.
    pub lifecycle_stage: Option<String>,
    pub owner_id: Option<Uuid>,
    pub industry: Option<String>,
    /// `tier1` | `tier2` | `tier3` | `rural`.
    pub city_tier: Option<String>,
    pub tag: Option<String>,
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

/// Only digits and phone punctuation: `+86 138-1234-5678`, `(010) 1234 5678`.
fn looks_like_phone(q: &str) -> bool {
    q.chars()
        .all(|c| c.is_ascii_digit() || " +-().".contains(c))
}

/// Finds customers: an exact phone, email or credit code, or a ranked name search, with
/// filters; cursor-paginated. PII is masked as for single reads.
#[utoipa::path(
    get,
    path = "/api/v1/customers",
    tag = "customers",
    params(SearchParams),
    responses(
        (status = 200, description = "`{data, next_cursor}`", body = inline(Page<Customer>)),
        (status = 422, description = "Invalid filters (every one reported)", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn list_customers(
    caller: Authorized<caps::CustomersRead>,
    params: web::Query<SearchParams>,
    pool: web::Data<PgPool>,
    pii: web::Data<PiiCipher>,
    clock: web::Data<Clock>,
) -> Result<HttpResponse, ApiError> {
    let p = params.into_inner();
    let mut errors = Vec::new();
    parse_opt::<Kind>(&mut errors, "kind", p.kind.as_deref());
    parse_opt::<ValueTier>(&mut errors, "value_tier", p.value_tier.as_deref());
    parse_opt::<Stage>(&mut errors, "lifecycle_stage", p.lifecycle_stage.as_deref());
    parse_opt::<CityTier>(&mut errors, "city_tier", p.city_tier.as_deref());
    let page = PageParams {
        limit: p.limit,
        cursor: None,
    };
    let limit = match page.parse() {
        Ok((limit, _)) => limit,
        Err(ApiError::Validation(mut e)) => {
            errors.append(&mut e);
            0
        }
        Err(e) => return Err(e),
    };
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    let filter = Filter {
        kind: p.kind,
        value_tier: p.value_tier,
        lifecycle_stage: p.lifecycle_stage,
        owner_id: p.owner_id,
        industry: p.industry,
        city_tier: p.city_tier,
        tag: p.tag,
        merchant_id: match caller.role {
            Role::Merchant => Some(caller.merchant_id.unwrap_or_else(Uuid::nil)),
            _ => None,
        },
    };
    let identity: Option<Result<String, String>> =
        p.q.as_deref()
            .map(str::trim)
            .filter(|q| !q.is_empty())
            .map(|q| {
                credit_code(q)
                    .or_else(|| normalise_email(q))
                    .or_else(|| looks_like_phone(q).then(|| normalise_phone(q)).flatten())
                    .map(|v| pii.blind_index(&v))
                    .ok_or_else(|| q.to_owned())
            });
    let (now, who, cursor) = (clock.now(), caller.principal.clone(), p.cursor);
    let (page, unmasked) = db::run(&pool, move |conn| {
        let own = match (who.role, who.phone_hash.as_deref()) {
            (Role::Customer, Some(h)) => Some(repo::ids_by_digest(conn, h)?),
            (Role::Customer, None) => Some(Vec::new()),
            _ => None,
        };
        let query = match (identity, own) {
            (_, Some(ids)) => Query::Ids(ids),
            (Some(Ok(digest)), None) => Query::Ids(repo::ids_by_digest(conn, &digest)?),
            (Some(Err(text)), None) => Query::Name {
                offset: parse_offset(cursor.as_deref())?,
                text,
            },
            (None, None) => Query::All {
                after: cursor
                    .as_deref()
                    .map(Cursor::decode)
                    .transpose()?
                    .map(|c| (c.at, c.id)),
            },
        };
        let rows = search::search(conn, &filter, &query, limit)?;
        let ids: Vec<Uuid> = rows.iter().take(limit as usize).map(|r| r.id).collect();
        let stats = view::stats_of(conn, &ids, now)?;
        let unmasked = rows
            .iter()
            .take(limit as usize)
            .any(|r| access::sees_pii(&who, r));
        let offset = match &query {
            Query::Name { offset, .. } => Some(*offset),
            _ => None,
        };
        let mut page = Page::from_rows(
            rows,
            limit,
            |r| Cursor {
                at: r.created_at,
                id: r.id,
            },
            |r| {
                view::view(
                    &r,
                    stats.get(&r.id).cloned().unwrap_or_else(view::zero_stats),
                    &pii,
                    &who,
                )
            },
        );
        if let (Some(o), Some(_)) = (offset, &page.next_cursor) {
            page.next_cursor = Some(offset_cursor(o + limit));
        }
        let data = page.data.into_iter().collect::<Result<Vec<_>, _>>()?;
        Ok((
            Page {
                data,
                next_cursor: page.next_cursor,
            },
            unmasked,
        ))
    })
    .await?;
    let mut resp = HttpResponse::Ok().json(page);
    if unmasked {
        mark_pii_read(&mut resp, "customers:search");
    }
    Ok(resp)
}
