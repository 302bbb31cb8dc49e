//! Carrier scan ingestion: one event per shipment, or batches of up to 1000 (SPEC §5).

pub mod batch;
pub mod create;

use actix_web::web;
use chrono::{DateTime, Utc};
use kuaidi_shared::db;
use kuaidi_shared::deps::Deps;
use kuaidi_shared::request::RequestContext;
use kuaidi_shared::{ApiError, FieldError};

use crate::api::shipments::TimelineEntry;
use crate::api::tracking_events::EventLocation;
use crate::db::tracking_cache::Caches;
use crate::domain::eta::EtaRules;
use crate::domain::ingestion::{Incoming, Ingested, Outcome};
use crate::domain::{ShipmentStatus, Substatus};
use crate::workflow::ingest::ingest;

/// Ingests `items` in one transaction, as both routes do; then, committed or not and before the
/// route answers, forgets their shipments in this replica's caches (a read that follows the
/// answer must not be served an old shipment) and wakes the outbox relay when an event was
/// accepted. One result per item, in order.
async fn ingest_and_forget(
    deps: &Deps,
    ctx: RequestContext,
    rules: web::Data<EtaRules>,
    caches: &Caches,
    items: Vec<Incoming>,
    now: DateTime<Utc>,
) -> Result<Vec<Ingested>, ApiError> {
    let touched: Vec<String> = items
        .iter()
        .map(|i| i.tracking_number.to_string())
        .collect();
    let ingested = db::transaction(&deps.pool, move |conn| {
        ingest(conn, &items, now, &ctx, &rules)
    })
    .await;
    caches.forget(&touched);
    let ingested = ingested?;
    if ingested
        .iter()
        .any(|r| matches!(r.outcome, Outcome::Accepted { .. }))
    {
        deps.outbox.wake();
    }
    Ok(ingested)
}

/// Validation problems of one event as a batch `reason`.
pub fn reason(errors: &[FieldError]) -> String {
    errors
        .iter()
        .map(|e| format!("{}: {}", e.field, e.message))
        .collect::<Vec<_>>()
        .join("; ")
}

/// A shipment's stored events as its API timeline (rows come oldest first).
pub fn timeline(rows: Vec<crate::db::tracking_events::EventRow>) -> Vec<TimelineEntry> {
    rows.into_iter()
        .filter_map(|r| {
            let location = (r.hub_code.is_some() || r.city.is_some() || r.province.is_some())
                .then_some(EventLocation {
                    hub_code: r.hub_code,
                    city: r.city,
                    province: r.province,
                });
            Some(TimelineEntry {
                sequence: r.sequence,
                status: ShipmentStatus::parse(&r.status)?,
                substatus: r.substatus.as_deref().and_then(Substatus::parse),
                event_id: r.event_id,
                occurred_at: r.occurred_at,
                location,
                description: r.description,
                courier_id: r.courier_id,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn both_ingestion_routes_and_their_bodies_are_documented() {
        let doc = <crate::ApiDoc as utoipa::OpenApi>::openapi();
        for path in [
            "/api/v1/shipments/{tracking_number}/events",
            "/api/v1/tracking-events:batch",
        ] {
            let item = doc.paths.paths.get(path);
            assert!(
                item.is_some_and(|i| i.post.is_some()),
                "POST {path} documented"
            );
        }
        let schemas = doc.components.map(|c| c.schemas).unwrap_or_default();
        for name in [
            "NewTrackingEvent",
            "TrackingEventBatch",
            "BatchTrackingEvent",
            "BatchResults",
        ] {
            assert!(schemas.contains_key(name), "schema {name} documented");
        }
    }
}
