//! Request and response types of the webhooks API (SPEC §5 Webhooks).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

/// `POST /api/v1/webhooks`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct CreateWebhook {
    /// The endpoint: http(s), not on a link-local, loopback or private address, without
    /// credentials (`user:password@`).
    pub url: String,
    /// Event types to receive (e.g. `shipment.delivered`; `webhook.endpoint_disabled` tells
    /// that another of the owner's endpoints was disabled), or `["*"]` for all.
    pub events: Vec<String>,
    /// Signing secret (1–256 characters, not blank); generated when absent.
    #[serde(default)]
    pub secret: Option<String>,
}

/// A webhook subscription (its secret is shown only when it is created or changed).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Webhook {
    pub id: Uuid,
    pub url: String,
    pub events: Vec<String>,
    pub merchant_id: Option<Uuid>,
    pub owner: WebhookOwner,
    /// False once the endpoint is disabled (after failing continuously, or by its owner): its
    /// deliveries wait until it is enabled again (`PATCH` `enabled: true`, or `:replay`).
    pub enabled: bool,
    /// When the endpoint was disabled.
    pub disabled_at: Option<DateTime<Utc>>,
    /// Changes with every change of the subscription; its `ETag` names it.
    pub version: i32,
    pub created_at: DateTime<Utc>,
}

kuaidi_shared::vocabulary! {
    /// What owns a subscription.
    // NOTE: external contract — `owner.kind` of every subscription the API answers.
    #[derive(Serialize, Deserialize, ToSchema)]
    #[serde(rename_all = "snake_case")]
    pub enum WebhookOwnerKind {
        Merchant,
        Subject,
    }
}

/// Who owns a subscription (read-only, set at registration from the caller's token): a
/// merchant (`id` its merchant id), or for an app or staff caller the token subject that
/// registered it (`id` that subject). Only its owner and admins see a subscription.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct WebhookOwner {
    pub kind: WebhookOwnerKind,
    pub id: String,
}

/// The created subscription, with its signing secret (shown this once).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CreatedWebhook {
    pub id: Uuid,
    pub url: String,
    pub events: Vec<String>,
    pub merchant_id: Option<Uuid>,
    pub owner: WebhookOwner,
    pub enabled: bool,
    pub disabled_at: Option<DateTime<Utc>>,
    pub version: i32,
    /// Key of the `Kuaidi-Signature` HMAC; store it now, it is never shown again.
    pub secret: String,
    pub created_at: DateTime<Utc>,
}

/// `PATCH /api/v1/webhooks/{id}`: the fields given change, the others stay; each is checked
/// as on registration.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateWebhook {
    /// The new endpoint: http(s), not on a link-local, loopback or private address, without
    /// credentials (`user:password@`).
    #[serde(default)]
    pub url: Option<String>,
    /// The event types to receive from now on, or `["*"]` for all.
    #[serde(default)]
    pub events: Option<Vec<String>>,
    /// `true` enables a disabled endpoint again with a clean record (its failing run starts
    /// over; deliveries still pending are sent, failed ones are for `:replay`); `false`
    /// disables it (deliveries wait, unsent).
    #[serde(default)]
    pub enabled: Option<bool>,
    /// A new signing secret of the caller's choice (1–256 characters, not blank).
    #[serde(default)]
    pub secret: Option<String>,
    /// `true`: a new secret is generated and shown once, in this answer; the old one signs
    /// nothing from now on. Not with `secret`.
    #[serde(default)]
    pub rotate_secret: bool,
}

/// The changed subscription; with its new signing secret, shown this once, when the change
/// set one.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct UpdatedWebhook {
    pub id: Uuid,
    pub url: String,
    pub events: Vec<String>,
    pub merchant_id: Option<Uuid>,
    pub owner: WebhookOwner,
    pub enabled: bool,
    pub disabled_at: Option<DateTime<Utc>>,
    pub version: i32,
    /// The new key of the `Kuaidi-Signature` HMAC (only when `secret` or `rotate_secret` was
    /// given); store it now, it is never shown again.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
    pub created_at: DateTime<Utc>,
}

/// `GET /api/v1/webhooks`: the filters narrow the caller's subscriptions (an admin's: every
/// one); they never widen them.
#[derive(Debug, Clone, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct WebhookListQuery {
    /// Only this merchant's subscriptions (`owner.kind` `merchant`).
    pub merchant_id: Option<Uuid>,
    /// Only the subscriptions this token subject registered (`owner.kind` `subject`: an app's
    /// or a staff user's).
    pub owner_sub: Option<String>,
    /// Page size, 1–200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    /// `next_cursor` of the previous page.
    #[param(pattern = "^[A-Za-z0-9_-]+$")]
    pub cursor: Option<String>,
}

/// A page of subscriptions, oldest first.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct WebhookList {
    pub data: Vec<Webhook>,
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
    /// Attempts made: the automatic ones and the re-sends asked for (`:redeliver`, `:replay`).
    pub attempts: i32,
    /// The HTTP status the endpoint answered the last attempt with (null: no answer).
    pub last_status_code: Option<i32>,
    pub last_latency_ms: Option<i32>,
    /// Why the last attempt got no HTTP answer, in a few words for people (not for matching):
    /// `connection refused`, `connection reset`, `host unreachable`, `could not connect`,
    /// `timed out after 10 s`, `no HTTP answer`, `TLS handshake failed`, `host name could not be
    /// resolved`, `target address not allowed` (the URL resolves to an address webhooks may not
    /// call), `invalid URL`, `not sent: internal error`. Null when the endpoint answered (its
    /// status is in `last_status_code`) or before any attempt.
    pub last_error: Option<String>,
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
    /// Deliveries a re-send was queued for.
    pub requeued: i64,
    /// The effective start (the requested `since`, or 30 days ago if earlier).
    pub since: DateTime<Utc>,
}
