//! SLA policy bodies.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::domain::sla::Calendar;

/// One cell of the category × priority matrix.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct SlaPolicy {
    pub category: String,
    pub priority: String,
    pub first_response_minutes: i32,
    pub resolution_minutes: i32,
    /// Business calendar; `null`: 24×7.
    pub calendar: Option<Calendar>,
    /// The policy version that last wrote this row.
    pub version: i32,
}

/// `GET /api/v1/sla-policies`, and the answer to `PUT`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct SlaPolicies {
    /// The current version of the whole matrix (each change makes a new one).
    pub version: i32,
    pub policies: Vec<SlaPolicy>,
}

/// Body of `PUT /api/v1/sla-policies`: the rows given replace those rows; others stay. A
/// row's `calendar` is an object as in `SlaPolicy`, or the text `"24x7"` (the default: none).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({"policies": [{"category": "delay", "priority": "normal",
    "first_response_minutes": 120, "resolution_minutes": 1440,
    "calendar": {"utc_offset_minutes": 480, "working_hours": {"start": "09:00", "end": "18:00"},
                 "working_days": [1, 2, 3, 4, 5], "holidays": ["2026-10-01"]}}]}))]
pub struct PutSlaPolicies {
    #[schema(value_type = Vec<Object>)]
    pub policies: serde_json::Value,
}
