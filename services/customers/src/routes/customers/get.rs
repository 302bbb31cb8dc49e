//! `GET /api/v1/customers/{id}` and `GET /api/v1/customers/me`.

use actix_web::{web, HttpRequest, HttpResponse};
use kuaidi_shared::auth::Role;
use kuaidi_shared::capabilities::{caps, Authorized};
use kuaidi_shared::db;
use kuaidi_shared::deps::Deps;
use kuaidi_shared::openapi::{NoValidToken, NotModified};
use kuaidi_shared::ApiError;
use uuid::Uuid;

use super::respond;
use super::view;
use crate::api::customers::Customer;
use crate::api::problems::{NoFileForPhone, NoSuchCustomer, NotACustomerToken};
use crate::db::customers as repo;
use crate::workflow::access;

/// The customer 360: profile, stats, tier, stage, RFM, the last 20 interactions, open
/// follow-ups and merge history. PII is masked for callers without the right to see it (an
/// unmasked read is reported to the gateway's audit log); another tenant's customer is a 404.
/// An erased customer is answered anonymised, with its aggregates and `erased_at`.
#[utoipa::path(get, path = "/api/v1/customers/{id}", tag = "customers",
    params(("id" = Uuid, Path, description = "Customer id")),
    responses((status = 200, description = "The customer; `ETag` for `If-Match`", body = Customer),
        NotModified, NoValidToken, NoSuchCustomer))]
pub async fn get_customer(
    req: HttpRequest,
    caller: Authorized<caps::CustomersRead>,
    path: web::Path<Uuid>,
    deps: Deps,
) -> Result<HttpResponse, ApiError> {
    let (id, now, who) = (
        path.into_inner(),
        deps.clock.now(),
        caller.principal.clone(),
    );
    let body = db::run(&deps.pool, move |conn| {
        let row = access::load_any(conn, &who, id)?;
        view::full_view(conn, &row, now, &deps.pii, &who)
    })
    .await?;
    Ok(respond(&req, &body, &caller))
}

/// An end customer's own file, found by the phone blind index in their token.
#[utoipa::path(get, path = "/api/v1/customers/me", tag = "customers",
    responses((status = 200, description = "The caller's own customer file", body = Customer),
        NotACustomerToken, NoFileForPhone))]
pub async fn get_me(
    req: HttpRequest,
    caller: Authorized<caps::CustomersRead>,
    deps: Deps,
) -> Result<HttpResponse, ApiError> {
    caller.require(&[Role::Customer])?;
    let hash = caller
        .phone_hash
        .clone()
        .ok_or(ApiError::NotFound("customer"))?;
    let (now, who) = (deps.clock.now(), caller.principal.clone());
    let body = db::run(&deps.pool, move |conn| {
        let row = repo::by_phone_hash(conn, &hash)?.ok_or(ApiError::NotFound("customer"))?;
        view::full_view(conn, &row, now, &deps.pii, &who)
    })
    .await?;
    Ok(respond(&req, &body, &caller))
}
