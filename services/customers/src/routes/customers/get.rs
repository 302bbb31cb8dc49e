//! `GET /api/v1/customers/{id}`.

use actix_web::{web, HttpRequest, HttpResponse};
use chrono::Utc;
use kuaidi_shared::auth::Role;
use kuaidi_shared::capabilities::{caps, Authorized};
use kuaidi_shared::crypto::PiiCipher;
use kuaidi_shared::db::{self, PgPool};
use kuaidi_shared::http::{mark_pii_read, respond_with_etag};
use kuaidi_shared::problem::Problem;
use kuaidi_shared::ApiError;
use uuid::Uuid;

use crate::api::customers::Customer;
use crate::db::customers as repo;

/// The customer 360: profile, tier, stage and stats. PII is masked for callers without the
/// right to see it; a merchant reading anything but its own account gets a 404.
#[utoipa::path(
    get,
    path = "/api/v1/customers/{id}",
    tag = "customers",
    params(("id" = Uuid, Path, description = "Customer id")),
    responses(
        (status = 200, description = "The customer; `ETag` carries its version", body = Customer),
        (status = 304, description = "Not modified since the `If-None-Match` ETag"),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such customer for this caller", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn get_customer(
    req: HttpRequest,
    caller: Authorized<caps::CustomersRead>,
    path: web::Path<Uuid>,
    pool: web::Data<PgPool>,
    pii: web::Data<PiiCipher>,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    let now = Utc::now();
    let who = caller.principal.clone();
    let (row, stats) = db::run(&pool, move |conn| {
        let row = repo::find(conn, id)?
            .filter(|row| super::visible_to(&who, row))
            .ok_or(ApiError::NotFound("customer"))?;
        if who.role == Role::Customer {
            // An end customer sees only the file holding their own phone.
            let own = match who.phone_hash.as_deref() {
                Some(h) => repo::holds_identity(conn, id, "phone", h)?,
                None => false,
            };
            if !own {
                return Err(ApiError::NotFound("customer"));
            }
        }
        let stats = super::stats(conn, &row, now)?;
        Ok((row, stats))
    })
    .await?;
    // The stats change without the row's version moving, so they are part of the tag.
    let etag = format!(
        "{}-{}-{}-{}",
        row.id.simple(),
        row.version,
        stats.shipments_12m,
        stats.complaints_12m
    );
    let unmasked = super::sees_pii(&caller, &row);
    let id = row.id;
    let body = super::view(row, stats, &pii, &caller)?;
    let mut resp = respond_with_etag(&req, &etag, &body);
    if unmasked {
        mark_pii_read(&mut resp, &format!("customer:{id}"));
    }
    Ok(resp)
}
