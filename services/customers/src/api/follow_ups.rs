//! Follow-up (回访) task bodies.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

/// Body of `POST /api/v1/customers/{id}/follow-ups`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"due_at": "2026-12-05T09:00:00Z", "reason": "Quote for the spring season"}))]
pub struct CreateFollowUp {
    /// Required (a missing one is reported with the other fields).
    #[serde(default)]
    #[schema(required = true, value_type = DateTime<Utc>)]
    pub due_at: Option<DateTime<Utc>>,
    /// Required.
    #[serde(default)]
    #[schema(required = true)]
    pub reason: String,
    /// Defaults to the customer's owner, else the caller.
    #[serde(default)]
    pub assignee_id: Option<Uuid>,
}

/// Body of `PATCH /api/v1/follow-ups/{id}`: `open` → `done` | `cancelled`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"status": "done", "outcome": "Called back; satisfied"}))]
pub struct UpdateFollowUp {
    /// `done` | `cancelled`.
    #[schema(value_type = crate::domain::enums::FollowUpStatus)]
    pub status: String,
    #[serde(default)]
    pub outcome: Option<String>,
}

/// A follow-up task.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct FollowUp {
    pub id: Uuid,
    pub customer_id: Uuid,
    pub assignee_id: Option<Uuid>,
    pub due_at: DateTime<Utc>,
    pub reason: String,
    /// `complaint_callback` | `key_account_care` | `birthday_care` | `holiday_care` |
    /// `churn_retention`; none for tasks created by hand.
    pub rule: Option<String>,
    /// `open` | `done` | `cancelled`.
    pub status: String,
    pub outcome: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub closed_at: Option<DateTime<Utc>>,
    /// Moves with every change (closing, reassignment, a merge); the `ETag` carries it, for
    /// `If-Match`.
    pub version: i32,
}

/// Filters of `GET /api/v1/follow-ups`.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct FollowUpFilter {
    pub assignee: Option<Uuid>,
    pub due_before: Option<DateTime<Utc>>,
    /// `open` | `done` | `cancelled`.
    #[param(value_type = Option<crate::domain::enums::FollowUpStatus>, inline)]
    pub status: Option<String>,
    /// Page size, 1–200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    /// `next_cursor` of the previous page.
    #[param(pattern = "^[A-Za-z0-9_-]+$")]
    pub cursor: Option<String>,
}
