//! What ingestion takes and answers, in domain terms: a validated event addressed to a
//! tracking number, and what became of it. The route maps outcomes to its API type.

use super::tracking::TrackingEvent;
use super::TrackingNumber;

/// A validated event addressed to a tracking number.
#[derive(Debug, Clone)]
pub struct Incoming {
    pub tracking_number: TrackingNumber,
    pub event: TrackingEvent,
}

/// What became of one event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Applied, with the sequence its shipment gave it.
    Accepted { sequence: i64 },
    /// The same `event_id` was already recorded for the shipment: no effect.
    Duplicate,
    /// Not applied, and why.
    Rejected(String),
}

/// The outcome of the event `event_id`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ingested {
    pub event_id: String,
    pub outcome: Outcome,
}

impl Ingested {
    pub fn rejected(event_id: impl Into<String>, reason: impl Into<String>) -> Self {
        Self {
            event_id: event_id.into(),
            outcome: Outcome::Rejected(reason.into()),
        }
    }
}
