//! Improvement action bodies.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::domain::improvement::Measure;

/// An improvement action (seed 002 ch. 5, 12).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({"id": "01936fa0-2b4c-7d30-9a0e-5b6c7d8e9f01",
    "root_cause": "packaging_sorting", "goal": "halve damage at SHA01",
    "method": "retrain sorters; new padding", "owner_id": "01936f9e-7c1a-7d30-9a0e-5b6c7d8e9f00",
    "due_at": "2027-01-31T00:00:00Z", "status": "planned", "metric": "damage_rate",
    "baseline": 0.008, "result": null, "complaint_ids": [],
    "created_at": "2026-12-05T08:00:00Z", "updated_at": "2026-12-05T08:00:00Z", "version": 1}))]
pub struct Improvement {
    pub id: Uuid,
    /// From the root-cause taxonomy of SPEC §6.
    pub root_cause: String,
    pub goal: String,
    pub method: Option<String>,
    pub owner_id: Option<Uuid>,
    pub due_at: Option<DateTime<Utc>>,
    /// `planned` | `in_progress` | `done` | `cancelled`.
    pub status: String,
    /// What is measured: a name (`damage_rate`).
    pub metric: Option<String>,
    /// The measurement before, as given: a number (`0.008`) or words (`"0.8%"`).
    pub baseline: Option<Measure>,
    /// The measurement after, as given: a number or words.
    pub result: Option<Measure>,
    /// The cases that led to it.
    pub complaint_ids: Vec<Uuid>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: i32,
}

/// Body of `POST` (root_cause and goal required) and `PATCH` (any of these fields, and no
/// other: an unknown or read-only field is a `422` naming it) on `/api/v1/improvement-actions`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ImprovementBody {
    pub root_cause: Option<String>,
    pub goal: Option<String>,
    pub method: Option<String>,
    pub owner_id: Option<Uuid>,
    pub due_at: Option<DateTime<Utc>>,
    pub status: Option<String>,
    /// What is measured: a name (`damage_rate`).
    pub metric: Option<String>,
    /// A number (`0.008`) or words (`"0.8%"`), answered as given.
    pub baseline: Option<Measure>,
    /// A number or words, answered as given.
    pub result: Option<Measure>,
    pub complaint_ids: Option<Vec<Uuid>>,
}

/// Filters of `GET /api/v1/improvement-actions`.
#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ImprovementQuery {
    pub root_cause: Option<String>,
    pub status: Option<String>,
    /// Page size, 1–200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    /// `next_cursor` of the previous page.
    #[param(pattern = "^[A-Za-z0-9_-]+$")]
    pub cursor: Option<String>,
}

/// A page of improvement actions.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ImprovementPage {
    pub data: Vec<Improvement>,
    pub next_cursor: Option<String>,
}
