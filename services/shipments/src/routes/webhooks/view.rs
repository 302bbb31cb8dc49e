//! The API's webhook subscriptions and deliveries from their rows.

use crate::api::webhooks::{
    CreatedWebhook, UpdatedWebhook, Webhook, WebhookDelivery, WebhookOwner, WebhookOwnerKind,
};
use crate::db::webhooks::{DeliveryRow, Owner, SubscriptionRow, PENDING};

/// A subscription as its owner (or an admin) sees it, without its secret.
pub fn webhook(r: SubscriptionRow) -> Webhook {
    Webhook {
        owner: owner(&r),
        id: r.id,
        url: r.url,
        events: r.events,
        merchant_id: r.merchant_id,
        enabled: r.disabled_at.is_none(),
        disabled_at: r.disabled_at,
        version: r.version,
        created_at: r.created_at,
    }
}

/// The stored row with its secret in clear, this once.
pub fn created(r: SubscriptionRow, secret: String) -> CreatedWebhook {
    CreatedWebhook {
        owner: owner(&r),
        id: r.id,
        url: r.url,
        events: r.events,
        merchant_id: r.merchant_id,
        enabled: r.disabled_at.is_none(),
        disabled_at: r.disabled_at,
        version: r.version,
        secret,
        created_at: r.created_at,
    }
}

/// The edited row, with its new secret in clear when the edit set one.
pub fn updated(r: SubscriptionRow, secret: Option<String>) -> UpdatedWebhook {
    UpdatedWebhook {
        owner: owner(&r),
        id: r.id,
        url: r.url,
        events: r.events,
        merchant_id: r.merchant_id,
        enabled: r.disabled_at.is_none(),
        disabled_at: r.disabled_at,
        version: r.version,
        secret,
        created_at: r.created_at,
    }
}

/// Who owns the subscription, as the API names it.
fn owner(r: &SubscriptionRow) -> WebhookOwner {
    match r.owner() {
        Owner::Merchant(m) => WebhookOwner {
            kind: WebhookOwnerKind::Merchant,
            id: m.to_string(),
        },
        Owner::Subject(sub) => WebhookOwner {
            kind: WebhookOwnerKind::Subject,
            id: sub,
        },
    }
}

/// The strong entity tag of a subscription's version (unquoted).
pub fn etag(r: &SubscriptionRow) -> String {
    format!("{}-{}", r.id.simple(), r.version)
}

/// One delivery; when the next attempt is due only while it is pending.
pub fn delivery(r: DeliveryRow) -> WebhookDelivery {
    WebhookDelivery {
        id: r.id,
        event_id: r.event_id,
        event_type: r.event_type,
        next_attempt_at: (r.status == PENDING).then_some(r.next_attempt_at),
        status: r.status,
        attempts: r.attempts,
        last_status_code: r.last_status_code,
        last_latency_ms: r.last_latency_ms,
        created_at: r.created_at,
    }
}
