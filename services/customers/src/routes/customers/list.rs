//! `GET /api/v1/customers`: search and filters.

use actix_web::{web, HttpResponse};
use diesel::PgConnection;
use kuaidi_shared::auth::{Principal, Role};
use kuaidi_shared::capabilities::{caps, Authorized};
use kuaidi_shared::crypto::{normalise_email, normalise_phone};
use kuaidi_shared::db;
use kuaidi_shared::pagination::{Cursor, Page, PageParams};
use kuaidi_shared::problem::Problem;
use kuaidi_shared::ApiError;
use serde::Deserialize;
use utoipa::IntoParams;
use uuid::Uuid;

use super::view;
use crate::api::customers::Customer;
use crate::db::customers as repo;
use crate::db::search::{self, Filter, Query};
use crate::domain::enums::{parse_opt, CityTier, Kind, Stage, ValueTier};
use crate::domain::new_customer::credit_code;
use crate::routes::deps::Deps;
use crate::routes::{offset_cursor, parse_offset};

/// Query of `GET /api/v1/customers`.
#[derive(Debug, Clone, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SearchParams {
    /// An exact phone, email or unified social credit code (matched through the blind index),
    /// otherwise a name (case- and accent-insensitive, best matches first).
    pub q: Option<String>,
    /// `individual` | `business`.
    #[param(value_type = Option<Kind>, inline)]
    pub kind: Option<String>,
    /// `key` | `ordinary` | `small`.
    #[param(value_type = Option<ValueTier>, inline)]
    pub value_tier: Option<String>,
    /// `prospect` | `new` | `active` | `loyal` | `at_risk` | `churned`.
    #[param(value_type = Option<Stage>, inline)]
    pub lifecycle_stage: Option<String>,
    pub owner_id: Option<Uuid>,
    pub industry: Option<String>,
    /// `tier1` | `tier2` | `tier3` | `rural`.
    #[param(value_type = Option<CityTier>, inline)]
    pub city_tier: Option<String>,
    pub tag: Option<String>,
    /// Page size, 1–200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    /// `next_cursor` of the previous page.
    #[param(pattern = "^[A-Za-z0-9_-]+$")]
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
    deps: Deps,
) -> Result<HttpResponse, ApiError> {
    let p = params.into_inner();
    let limit = validate(&p)?;
    let pii = deps.pii.clone();
    let search = Search {
        filter: filter_of(&p, &caller),
        identity: p
            .q
            .as_deref()
            .map(str::trim)
            .filter(|q| !q.is_empty())
            .map(|q| {
                let code = credit_code(q).map(|v| ("credit_code", v));
                code.or_else(|| normalise_email(q).map(|v| ("email", v)))
                    .or_else(|| {
                        looks_like_phone(q)
                            .then(|| normalise_phone(q))
                            .flatten()
                            .map(|v| ("phone", v))
                    })
                    .map(|(kind, v)| (kind, pii.blind_index(&v)))
                    .ok_or_else(|| q.to_owned())
            }),
        cursor: p.cursor,
    };
    let (now, who) = (deps.clock.now(), caller.principal.clone());
    let page = db::run(&deps.pool, move |conn| {
        let query = search.query(conn, &who)?;
        let rows = search::search(conn, &search.filter, &query, limit)?;
        let shown = &rows[..rows.len().min(limit as usize)];
        let ids: Vec<Uuid> = shown.iter().map(|r| r.id).collect();
        let stats = view::stats_of(conn, &ids, now)?;
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
        if let (Query::Name { offset, .. }, Some(_)) = (&query, &page.next_cursor) {
            page.next_cursor = Some(offset_cursor(offset + limit));
        }
        let data = page.data.into_iter().collect::<Result<Vec<_>, _>>()?;
        Ok(Page {
            data,
            next_cursor: page.next_cursor,
        })
    })
    .await?;
    let mut resp = HttpResponse::Ok().json(&page);
    super::mark_unmasked(&mut resp, &caller, &page.data.iter().collect::<Vec<_>>());
    Ok(resp)
}

/// Every invalid filter at once; answers the page size.
fn validate(p: &SearchParams) -> Result<i64, ApiError> {
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
    if errors.is_empty() {
        Ok(limit)
    } else {
        Err(ApiError::Validation(errors))
    }
}

fn filter_of(p: &SearchParams, caller: &Principal) -> Filter {
    Filter {
        kind: p.kind.clone(),
        value_tier: p.value_tier.clone(),
        lifecycle_stage: p.lifecycle_stage.clone(),
        owner_id: p.owner_id,
        industry: p.industry.clone(),
        city_tier: p.city_tier.clone(),
        tag: p.tag.clone(),
        // Merchants see only their own account.
        merchant_id: match caller.role {
            Role::Merchant => Some(caller.merchant_id.unwrap_or_else(Uuid::nil)),
            _ => None,
        },
    }
}

/// A validated search.
struct Search {
    filter: Filter,
    /// `Ok((kind, blind index))` of an exact phone, email or credit code; `Err(text)` of a name.
    identity: Option<Result<(&'static str, String), String>>,
    cursor: Option<String>,
}

impl Search {
    /// What to look for: an end customer only ever finds their own file.
    fn query(&self, conn: &mut PgConnection, who: &Principal) -> Result<Query, ApiError> {
        if who.role == Role::Customer {
            return Ok(Query::Ids(match who.phone_hash.as_deref() {
                Some(h) => repo::ids_by_digest(conn, "phone", h)?,
                None => Vec::new(),
            }));
        }
        Ok(match &self.identity {
            Some(Ok((kind, digest))) => Query::Ids(repo::ids_by_digest(conn, kind, digest)?),
            Some(Err(text)) => Query::Name {
                offset: parse_offset(self.cursor.as_deref())?,
                text: text.clone(),
            },
            None => Query::All {
                after: self
                    .cursor
                    .as_deref()
                    .map(Cursor::decode)
                    .transpose()?
                    .map(|c| (c.at, c.id)),
            },
        })
    }
}
