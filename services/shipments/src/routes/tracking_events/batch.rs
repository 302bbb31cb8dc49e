//! `POST /api/v1/tracking-events:batch`.

use actix_web::{web, HttpResponse};
use chrono::Utc;
use kuaidi_shared::capabilities::{caps, Authorized};
use kuaidi_shared::db::{self, PgPool};
use kuaidi_shared::events::Outbox;
use kuaidi_shared::openapi::NoValidToken;
use kuaidi_shared::request::RequestContext;
use kuaidi_shared::ApiError;

use crate::api::problems::{BadBatchSize, MayNotIngest};
use crate::api::tracking_events::{
    BatchResults, BatchTrackingEvent, IngestOutcome, IngestResult, TrackingEventBatch,
};
use crate::domain::tracking::{TrackingEvent, MAX_BATCH};
use crate::ingest::{ingest, Incoming};

/// Records up to 1000 scans in one transaction. Each event gets its own result, in input order;
/// an invalid event is rejected alone and never fails the batch.
#[utoipa::path(
    post,
    path = "/api/v1/tracking-events:batch",
    tag = "shipments",
    request_body = TrackingEventBatch,
    responses(
        (status = 200, description = "One result per event, in input order", body = BatchResults),
        NoValidToken,
        MayNotIngest,
        BadBatchSize,
    ),
    security(("bearer" = []))
)]
pub async fn ingest_tracking_events(
    _caller: Authorized<caps::TrackingEventsIngest>,
    ctx: RequestContext,
    body: web::Json<TrackingEventBatch>,
    pool: web::Data<PgPool>,
    outbox: web::Data<Outbox>,
) -> Result<HttpResponse, ApiError> {
    let events = body.into_inner().events;
    if events.is_empty() || events.len() > MAX_BATCH {
        return Err(ApiError::validation(
            "events",
            format!("must hold 1 to {MAX_BATCH} events"),
        ));
    }
    let now = Utc::now();
    let mut results: Vec<Option<IngestResult>> = Vec::with_capacity(events.len());
    let mut slots = Vec::new();
    let mut items = Vec::new();
    for value in events {
        let event_id = value["event_id"].as_str().unwrap_or_default().to_owned();
        let parsed = serde_json::from_value::<BatchTrackingEvent>(value)
            .map_err(|e| e.to_string())
            .and_then(|b| {
                let (tn, req) = b.into_parts();
                let event = TrackingEvent::parse(req, now).map_err(|e| super::reason(&e))?;
                Ok(Incoming {
                    tracking_number: super::normalise_tracking_number(&tn),
                    event,
                })
            });
        match parsed {
            Ok(item) => {
                slots.push(results.len());
                items.push(item);
                results.push(None);
            }
            Err(reason) => results.push(Some(IngestResult::rejected(event_id, reason))),
        }
    }
    let ingested = db::transaction(&pool, move |conn| ingest(conn, &items, now, &ctx)).await?;
    let accepted = ingested.iter().any(|r| r.result == IngestOutcome::Accepted);
    for (slot, result) in slots.into_iter().zip(ingested) {
        results[slot] = Some(result);
    }
    if accepted {
        outbox.wake();
    }
    Ok(HttpResponse::Ok().json(BatchResults {
        results: results.into_iter().flatten().collect(),
    }))
}
