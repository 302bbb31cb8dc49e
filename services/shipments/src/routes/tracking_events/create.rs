//! `POST /api/v1/shipments/{tracking_number}/events`.

use actix_web::{web, HttpResponse};
use chrono::Utc;
use kuaidi_shared::capabilities::{caps, Authorized};
use kuaidi_shared::db::{self, PgPool};
use kuaidi_shared::events::Outbox;
use kuaidi_shared::openapi::{InvalidFields, NoValidToken};
use kuaidi_shared::request::RequestContext;
use kuaidi_shared::ApiError;

use crate::api::problems::{MayNotIngest, UnknownTrackingNumber};
use crate::api::tracking_events::{IngestOutcome, IngestResult, NewTrackingEvent};
use crate::domain::tracking::TrackingEvent;
use crate::ingest::{ingest, Incoming};

/// Records one scan of a shipment; the same `event_id` again is a `duplicate` with no effect.
#[utoipa::path(
    post,
    path = "/api/v1/shipments/{tracking_number}/events",
    tag = "shipments",
    params(("tracking_number" = String, Path, description = "The waybill's tracking number")),
    request_body = NewTrackingEvent,
    responses(
        (status = 201, description = "Accepted, with the event's sequence", body = IngestResult),
        (status = 200, description = "Duplicate `event_id`: nothing changed", body = IngestResult),
        NoValidToken,
        MayNotIngest,
        UnknownTrackingNumber,
        InvalidFields,
    ),
    security(("bearer" = []))
)]
pub async fn create_tracking_event(
    _caller: Authorized<caps::TrackingEventsIngest>,
    ctx: RequestContext,
    path: web::Path<String>,
    body: web::Json<NewTrackingEvent>,
    pool: web::Data<PgPool>,
    outbox: web::Data<Outbox>,
) -> Result<HttpResponse, ApiError> {
    let now = Utc::now();
    let event = TrackingEvent::parse(body.into_inner(), now).map_err(ApiError::Validation)?;
    let items = vec![Incoming {
        tracking_number: super::normalise_tracking_number(&path.into_inner()),
        event,
    }];
    let mut results = db::transaction(&pool, move |conn| ingest(conn, &items, now, &ctx)).await?;
    let result = results
        .pop()
        .ok_or_else(|| anyhow::anyhow!("ingest returned no result"))?;
    match result.result {
        IngestOutcome::Accepted => {
            outbox.wake();
            Ok(HttpResponse::Created().json(result))
        }
        IngestOutcome::Duplicate => Ok(HttpResponse::Ok().json(result)),
        IngestOutcome::Rejected => Err(ApiError::NotFound("shipment")),
    }
}
