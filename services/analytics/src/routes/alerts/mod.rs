//! Early-warning alerts.

use crate::api::reports::Alert;
use crate::db::alerts::AlertRow;
use crate::domain::alerts::{AlertKind, AlertStatus};

pub mod acknowledge;
pub mod list;

fn some(s: String) -> Option<String> {
    Some(s).filter(|s| !s.is_empty())
}

impl From<AlertRow> for Alert {
    fn from(r: AlertRow) -> Self {
        Self {
            id: r.id,
            kind: r.kind.parse().unwrap_or(AlertKind::ComplaintSpike),
            city: some(r.city),
            category: some(r.category),
            hub_code: some(r.hub),
            day: r.day,
            observed: r.observed,
            threshold: r.threshold,
            status: r.status.parse().unwrap_or(AlertStatus::Open),
            raised_at: r.raised_at,
            acknowledged_at: r.acknowledged_at,
            acknowledged_by: r.acknowledged_by,
        }
    }
}
