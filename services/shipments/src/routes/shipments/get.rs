//! `GET /api/v1/shipments/{tracking_number}`.

use actix_web::{web, HttpRequest, HttpResponse};
use kuaidi_shared::capabilities::{caps, Authorized};
use kuaidi_shared::crypto::PiiCipher;
use kuaidi_shared::db::{self, PgPool};
use kuaidi_shared::http::{mark_pii_read, respond_with_etag};
use kuaidi_shared::openapi::NoValidToken;
use kuaidi_shared::ApiError;

use crate::api::problems::NoSuchShipment;
use crate::api::shipments::Shipment;
use crate::db::shipments as repo;
use crate::domain::TrackingNumber;

/// The shipment with its timeline. Another merchant's shipment is a 404.
#[utoipa::path(
    get,
    path = "/api/v1/shipments/{tracking_number}",
    tag = "shipments",
    params(("tracking_number" = String, Path, description = "The waybill's tracking number")),
    responses(
        (status = 200, description = "The shipment; `ETag` carries its version", body = Shipment),
        (status = 304, description = "Not modified since the `If-None-Match` ETag"),
        NoValidToken,
        NoSuchShipment,
    ),
    security(("bearer" = []))
)]
pub async fn get_shipment(
    req: HttpRequest,
    caller: Authorized<caps::ShipmentsRead>,
    tn: TrackingNumber,
    pool: web::Data<PgPool>,
    pii: web::Data<PiiCipher>,
) -> Result<HttpResponse, ApiError> {
    let scope = super::scope_of(&caller)?;
    let (row, events) = db::run(&pool, move |conn| {
        let row = repo::find_by_tracking_number(conn, tn.as_str(), &scope)?
            .ok_or(ApiError::NotFound("shipment"))?;
        let events = crate::db::tracking_events::timeline(conn, row.id)?;
        Ok((row, events))
    })
    .await?;
    let etag = format!("{}-{}", row.id.simple(), row.version);
    let unmasked = super::sees_pii(&caller, &row);
    let tn = row.tracking_number.clone();
    let mut body = super::view(row, &pii, &caller)?;
    body.timeline = crate::routes::tracking_events::timeline(events);
    let mut resp = respond_with_etag(&req, &etag, &body);
    if unmasked {
        mark_pii_read(&mut resp, &format!("shipment:{tn}"));
    }
    Ok(resp)
}
