//! Typed path parameters: a handler takes `tn: TrackingNumber` and gets a validated,
//! normalised number, so no handler trims or upper-cases by hand.

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest};
use kuaidi_shared::ApiError;
use std::future::{ready, Ready};

use crate::domain::TrackingNumber;

/// `{tracking_number}` of the route. A malformed number names no shipment: `404`.
impl FromRequest for TrackingNumber {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let raw = req.match_info().get("tracking_number").unwrap_or_default();
        ready(TrackingNumber::parse(raw).map_err(|_| ApiError::NotFound("shipment")))
    }
}
