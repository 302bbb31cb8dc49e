//! `POST /api/v1/shipments/{tracking_number}/events`.

use actix_web::http::header::LOCATION;
use actix_web::{web, HttpResponse};
use kuaidi_shared::capabilities::{caps, Authorized};
use kuaidi_shared::deps::Deps;
use kuaidi_shared::extract::Json;
use kuaidi_shared::openapi::{InvalidFields, NoValidToken};
use kuaidi_shared::request::RequestContext;
use kuaidi_shared::ApiError;

use crate::api::problems::{MayNotIngest, UnknownTrackingNumber};
use crate::api::tracking_events::{IngestResult, NewTrackingEvent};
use crate::db::tracking_cache::Caches;
use crate::domain::eta::EtaRules;
use crate::domain::ingestion::{Incoming, Outcome};
use crate::domain::TrackingNumber;

/// Records one scan of a shipment; the same `event_id` again is a `duplicate` with no effect.
/// A `delivered` scan may name who signed (`signed_by`), which the shipment then shows.
#[utoipa::path(post, path = "/api/v1/shipments/{tracking_number}/events", tag = "shipments",
    params(("tracking_number" = String, Path, description = "The waybill's tracking number")),
    request_body = NewTrackingEvent,
    responses((status = 201, description = "Accepted, with the event's sequence; `Location` names the shipment, whose timeline holds the event", body = IngestResult),
        (status = 200, description = "Duplicate `event_id`: nothing changed", body = IngestResult),
        NoValidToken, MayNotIngest, UnknownTrackingNumber, InvalidFields))]
pub async fn create_tracking_event(
    _caller: Authorized<caps::TrackingEventsIngest>,
    ctx: RequestContext,
    tracking_number: TrackingNumber,
    body: Json<NewTrackingEvent>,
    deps: Deps,
    rules: web::Data<EtaRules>,
    caches: web::Data<Caches>,
) -> Result<HttpResponse, ApiError> {
    let now = deps.clock.now_micros();
    let event = body
        .into_inner()
        .validate(now)
        .map_err(ApiError::Validation)?;
    let location = format!("/api/v1/shipments/{tracking_number}");
    let items = vec![Incoming {
        tracking_number,
        event,
    }];
    let mut results = super::ingest_and_forget(&deps, ctx, rules, &caches, items, now).await?;
    let result = results
        .pop()
        .ok_or_else(|| anyhow::anyhow!("ingest returned no result"))?;
    match result.outcome {
        Outcome::Accepted { .. } => Ok(HttpResponse::Created()
            .insert_header((LOCATION, location))
            .json(IngestResult::from(result))),
        Outcome::Duplicate => Ok(HttpResponse::Ok().json(IngestResult::from(result))),
        Outcome::Rejected(_) => Err(ApiError::NotFound("shipment")),
    }
}
