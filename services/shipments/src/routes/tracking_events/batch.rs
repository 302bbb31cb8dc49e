//! `POST /api/v1/tracking-events:batch`.

use actix_web::{web, HttpResponse};
use chrono::{DateTime, Utc};
use kuaidi_shared::capabilities::{caps, Authorized};
use kuaidi_shared::deps::Deps;
use kuaidi_shared::extract::Json;
use kuaidi_shared::input::{nul_fields, ItemWise};
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

/// The route for the edge guard (`kuaidi_shared::input`): its events are answered one by one, so
/// unstorable text inside one of them rejects that event alone, not the batch (SPEC §5).
pub const ITEM_WISE: ItemWise = ItemWise {
    path: "/api/v1/tracking-events:batch",
    items: "events",
};

/// Records up to 1000 scans in one transaction. Each event gets its own result, in input order;
/// an invalid event is rejected alone and never fails the batch — one holding text that cannot
/// be stored (NUL, an unpaired surrogate) too.
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
    for (index, value) in events.into_iter().enumerate() {
        match parse(value, index, now) {
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

/// The event at `index` of the batch as domain input, or its rejection.
fn parse(value: serde_json::Value, index: usize, now: DateTime<Utc>) -> Result<Incoming, Ingested> {
    // An unstorable `event_id` is answered with U+FFFD for each NUL: never echoed as NUL.
    let event_id = value["event_id"].as_str().unwrap_or_default();
    let event_id = event_id.replace('\0', "\u{FFFD}");
    let reject = |reason: String| Ingested::rejected(event_id.clone(), reason);
    // Before decoding: what the edge guard let through, written NUL (ITEM_WISE).
    let unstorable = nul_fields(&value, &format!("events[{index}]"));
    if !unstorable.is_empty() {
        let named: Vec<String> = unstorable
            .iter()
            .map(|e| format!("{} {}", e.field, e.message))
            .collect();
        return Err(reject(named.join("; ")));
    }
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
