//! Events the analytics service emits (SPEC §7).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

/// The service that emits the events of this file.
const PRODUCER: &str = "analytics";

/// `analytics.alert_raised`: an early-warning condition held (a complaint spike in a city and category, or a hub's on-time rate falling).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
pub struct AnalyticsAlertRaisedV1 {
    pub alert_id: Uuid,
    /// `complaint_spike` | `on_time_drop`.
    pub kind: String,
    #[serde(default)]
    pub city: Option<String>,
    #[serde(default)]
    pub category: Option<String>,
    #[serde(default)]
    pub hub_code: Option<String>,
    /// The local day the condition was seen on (`YYYY-MM-DD`).
    pub day: String,
    /// What was observed (complaints today, or today's on-time rate).
    pub observed: f64,
    /// The threshold it crossed (mean + 3σ, or the 28-day mean minus 10 points).
    pub threshold: f64,
    pub raised_at: DateTime<Utc>,
}

event!(
    AnalyticsAlertRaisedV1,
    "analytics.alert_raised",
    "An early-warning alert was raised."
);
