//! `POST /api/v1/tracking-events:batch`.

use actix_web::{web, HttpResponse};
use chrono::{DateTime, Utc};
use kuaidi_shared::capabilities::{caps, Authorized};
use kuaidi_shared::deps::Deps;
use kuaidi_shared::extract::Json;
use kuaidi_shared::openapi::NoValidToken;
use kuaidi_shared::request::RequestContext;
use kuaidi_shared::ApiError;

use crate::api::problems::{BadBatchSize, MayNotIngest};
use crate::api::tracking_events::{
    BatchResults, BatchTrackingEvent, IngestResult, TrackingEventBatch,
};
use crate::db::tracking_cache::Caches;
use crate::domain::eta::EtaRules;
use crate::domain::ingestion::{Incoming, Ingested};
use crate::domain::tracking::MAX_BATCH;
use crate::domain::TrackingNumber;

/// Records up to 1000 scans in one transaction. Each event gets its own result, in input order;
/// an invalid event is rejected alone and never fails the batch.
#[utoipa::path(post, path = "/api/v1/tracking-events:batch", tag = "shipments",
    request_body = TrackingEventBatch,
    responses((status = 200, description = "One result per event, in input order", body = BatchResults),
        NoValidToken, MayNotIngest, BadBatchSize))]
pub async fn ingest_tracking_events(
    _caller: Authorized<caps::TrackingEventsIngest>,
    ctx: RequestContext,
    body: Json<TrackingEventBatch>,
    deps: Deps,
    rules: web::Data<EtaRules>,
    caches: web::Data<Caches>,
) -> Result<HttpResponse, ApiError> {
    let events = body.into_inner().events;
    if events.is_empty() || events.len() > MAX_BATCH {
        return Err(ApiError::validation(
            "events",
            format!("must hold 1 to {MAX_BATCH} events"),
        ));
    }
    let now = deps.clock.now_micros();
    // Invalid events are answered now, in their slot; the valid ones are ingested together.
    let mut results: Vec<Option<Ingested>> = Vec::with_capacity(events.len());
    let (mut slots, mut items) = (Vec::new(), Vec::new());
    for value in events {
        match parse(value, now) {
            Ok(item) => {
                slots.push(results.len());
                items.push(item);
                results.push(None);
            }
            Err(rejected) => results.push(Some(rejected)),
        }
    }
    let ingested = super::ingest_and_forget(&deps, ctx, rules, &caches, items, now).await?;
    for (slot, result) in slots.into_iter().zip(ingested) {
        results[slot] = Some(result);
    }
    Ok(HttpResponse::Ok().json(BatchResults {
        results: results
            .into_iter()
            .flatten()
            .map(IngestResult::from)
            .collect(),
    }))
}

/// One event of the batch as domain input, or its rejection.
fn parse(value: serde_json::Value, now: DateTime<Utc>) -> Result<Incoming, Ingested> {
    let event_id = value["event_id"].as_str().unwrap_or_default().to_owned();
    let reject = |reason: String| Ingested::rejected(event_id.clone(), reason);
    let (tn, req) = serde_json::from_value::<BatchTrackingEvent>(value)
        .map_err(|e| reject(e.to_string()))?
        .into_parts();
    let event = req.validate(now).map_err(|e| reject(super::reason(&e)))?;
    // A malformed number names no shipment.
    let tracking_number =
        TrackingNumber::parse(&tn).map_err(|_| reject("unknown tracking number".into()))?;
    Ok(Incoming {
        tracking_number,
        event,
    })
}
