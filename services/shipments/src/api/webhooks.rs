//! Request and response types of the webhooks API (SPEC §5 Webhooks).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

/// `POST /api/v1/webhooks`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct CreateWebhook {
    /// The endpoint: http(s), not on a link-local, loopback or private address.
    pub url: String,
    /// Event types to receive (e.g. `shipment.delivered`; `webhook.endpoint_disabled` tells
    /// that another of the owner's endpoints was disabled), or `["*"]` for all.
    pub events: Vec<String>,
    /// Signing secret (1–256 characters, not blank); generated when absent.
    #[serde(default)]
    pub secret: Option<String>,
}

/// A webhook subscription (its secret is shown only when it is created).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Webhook {
    pub id: Uuid,
    pub url: String,
    pub events: Vec<String>,
    pub merchant_id: Option<Uuid>,
    /// Set when the endpoint was disabled after failing continuously.
    pub disabled_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

/// The created subscription, with its signing secret (shown this once).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CreatedWebhook {
    pub id: Uuid,
    pub url: String,
    pub events: Vec<String>,
    pub merchant_id: Option<Uuid>,
    /// Key of the `Kuaidi-Signature` HMAC; store it now, it is never shown again.
    pub secret: String,
    pub created_at: DateTime<Utc>,
}

/// The caller's subscriptions.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct WebhookList {
    pub data: Vec<Webhook>,
    /// Always null: every subscription fits one page.
    pub next_cursor: Option<String>,
}

/// One event's delivery to one endpoint.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct WebhookDelivery {
    pub id: Uuid,
    pub event_id: Uuid,
    pub event_type: String,
    /// `pending` | `succeeded` | `failed`.
    pub status: String,
    pub attempts: i32,
    pub last_status_code: Option<i32>,
    pub last_latency_ms: Option<i32>,
    /// When the next attempt is due (pending deliveries only).
    pub next_attempt_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

/// A page of deliveries, newest first.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct WebhookDeliveryPage {
    pub data: Vec<WebhookDelivery>,
    pub next_cursor: Option<String>,
}

/// `POST /api/v1/webhooks/{id}:replay`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct ReplayWebhook {
    /// Re-send what did not succeed since this time (at most 30 days back).
    pub since: DateTime<Utc>,
}

/// What `:replay` queued.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ReplayResult {
    /// Deliveries queued to be sent again.
    pub requeued: i64,
    /// The effective start (the requested `since`, or 30 days ago if earlier).
    pub since: DateTime<Utc>,
}
