//! Tracking-event request/response bodies (SPEC §2.1 "tracking event", §5).

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::domain::ingestion::{Ingested, Outcome};
pub use crate::domain::tracking::EventLocation;

/// Body of `POST /api/v1/shipments/{tracking_number}/events`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "event_id": "scan-20261125-000123",
    "status": "out_for_delivery",
    "occurred_at": "2026-11-25T08:30:00Z",
    "location": {"hub_code": "PEK02", "city": "北京", "province": "北京"},
    "description": "派送中",
    "courier_id": "C1024"
}))]
pub struct NewTrackingEvent {
    /// Caller-supplied, 1–100 characters; the same id again is a `duplicate`.
    #[schema(min_length = 1, max_length = 100)]
    pub event_id: String,
    /// One of the 9 statuses except `expired` (set by Kuaidi's sweep only).
    #[schema(value_type = crate::domain::status::ShipmentStatus)]
    pub status: String,
    /// RFC 3339, from 2000-01-01 on (an older time is a scanner's reset clock) and at most
    /// 5 minutes in the future; past scans of any age since are taken (imports).
    #[schema(value_type = String, format = DateTime)]
    pub occurred_at: String,
    /// An exception substatus with `exception`, a delivery substatus with `delivered`.
    #[serde(default)]
    pub substatus: Option<String>,
    #[serde(default)]
    pub location: Option<EventLocation>,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub courier_id: Option<String>,
    /// Who signed for the parcel: `delivered` events only (1–100 characters); becomes the
    /// shipment's `signed_by` when the event delivers it.
    #[serde(default)]
    pub signed_by: Option<String>,
}

/// One event of `POST /api/v1/tracking-events:batch`: a tracking event and its shipment.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BatchTrackingEvent {
    pub tracking_number: String,
    pub event_id: String,
    pub status: String,
    /// As in `NewTrackingEvent`: from 2000-01-01 on, at most 5 minutes ahead; otherwise the
    /// event is `rejected` with the reason.
    #[schema(value_type = String, format = DateTime)]
    pub occurred_at: String,
    #[serde(default)]
    pub substatus: Option<String>,
    #[serde(default)]
    pub location: Option<EventLocation>,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub courier_id: Option<String>,
    #[serde(default)]
    pub signed_by: Option<String>,
}

impl BatchTrackingEvent {
    /// Splits the item into its tracking number and the event.
    pub fn into_parts(self) -> (String, NewTrackingEvent) {
        (
            self.tracking_number,
            NewTrackingEvent {
                event_id: self.event_id,
                status: self.status,
                occurred_at: self.occurred_at,
                substatus: self.substatus,
                location: self.location,
                description: self.description,
                courier_id: self.courier_id,
                signed_by: self.signed_by,
            },
        )
    }
}

/// Body of `POST /api/v1/tracking-events:batch`: 1–1000 events.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"events": [{
    "tracking_number": "KD12345678CN",
    "event_id": "scan-20261125-000123",
    "status": "in_transit",
    "occurred_at": "2026-11-25T08:30:00Z",
    "location": {"hub_code": "SHA01", "city": "上海"}
}]}))]
pub struct TrackingEventBatch {
    /// 1–1000 events, each a `BatchTrackingEvent`. Each item is decoded on its own: one that is
    /// not a valid event (of any JSON type) is answered `rejected` in its slot and never fails
    /// the batch (SPEC §5), so the batch accepts any item.
    #[schema(value_type = Vec<serde_json::Value>, min_items = 1, max_items = 1000)]
    pub events: Vec<serde_json::Value>,
}

/// What became of one event.
// NOTE: external contract — scanners branch on these values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum IngestOutcome {
    Accepted,
    Duplicate,
    Rejected,
}

/// The result of one event, in input order.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
#[schema(example = json!({"event_id": "scan-20261125-000123", "result": "accepted", "reason": null, "sequence": 4}))]
pub struct IngestResult {
    pub event_id: String,
    pub result: IngestOutcome,
    /// Why the event was rejected.
    pub reason: Option<String>,
    /// The sequence the shipment gave an accepted event.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sequence: Option<i64>,
}

impl IngestResult {
    pub fn rejected(event_id: impl Into<String>, reason: impl Into<String>) -> Self {
        Self {
            event_id: event_id.into(),
            result: IngestOutcome::Rejected,
            reason: Some(reason.into()),
            sequence: None,
        }
    }
}

impl From<Ingested> for IngestResult {
    fn from(i: Ingested) -> Self {
        let (result, reason, sequence) = match i.outcome {
            Outcome::Accepted { sequence } => (IngestOutcome::Accepted, None, Some(sequence)),
            Outcome::Duplicate => (IngestOutcome::Duplicate, None, None),
            Outcome::Rejected(reason) => (IngestOutcome::Rejected, Some(reason), None),
        };
        Self {
            event_id: i.event_id,
            result,
            reason,
            sequence,
        }
    }
}

/// Response of `POST /api/v1/tracking-events:batch`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct BatchResults {
    pub results: Vec<IngestResult>,
}
