//! Interaction (touchpoint) bodies.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

/// Body of `POST /api/v1/customers/{id}/interactions`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"channel": "phone", "direction": "in", "kind": "inquiry",
    "summary": "Asked about cold-chain rates to Chengdu"}))]
pub struct CreateInteraction {
    /// `phone` | `sms` | `email` | `app` | `web` | `wechat` | `weibo` | `visit` | `letter` | `other`.
    #[serde(default)]
    #[schema(required = true, value_type = crate::domain::enums::Channel)]
    pub channel: String,
    /// `in` | `out`.
    #[serde(default)]
    #[schema(required = true, value_type = crate::domain::enums::Direction)]
    pub direction: String,
    /// `inquiry` | `care` | `follow_up` | `sales` | `complaint` | `survey` | `notification`.
    #[serde(default)]
    #[schema(required = true, value_type = crate::domain::enums::InteractionKind)]
    pub kind: String,
    /// Required.
    #[serde(default)]
    #[schema(required = true)]
    pub summary: String,
    /// Defaults to the caller.
    #[serde(default)]
    pub staff_id: Option<Uuid>,
    /// Defaults to now.
    #[serde(default)]
    pub occurred_at: Option<DateTime<Utc>>,
}

/// A logged touchpoint.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Interaction {
    pub id: Uuid,
    pub customer_id: Uuid,
    pub channel: String,
    pub direction: String,
    pub kind: String,
    pub summary: String,
    pub staff_id: Option<Uuid>,
    pub occurred_at: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
    /// The event it came from (`complaint.closed:<id>`), for logged-by-event interactions.
    pub source: Option<String>,
}
