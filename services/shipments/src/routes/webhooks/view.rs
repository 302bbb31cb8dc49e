//! The API's webhook subscriptions and deliveries from their rows.

use crate::api::webhooks::{
    CreatedWebhook, UpdatedWebhook, Webhook, WebhookDelivery, WebhookOwner, WebhookOwnerKind,
};
use crate::db::webhooks::{DeliveryRow, Owner, SubscriptionRow, PENDING};

/// Builds one subscription answer from its row: the fields `Webhook`, `CreatedWebhook` and
/// `UpdatedWebhook` share, mapped here once, then the answer's own (its `secret`). They stay three
/// types so that each keeps its own schema (the secret required, optional, or absent).
macro_rules! subscription {
    ($answer:ident from $row:expr $(, $own:ident)*) => {{
        let r: SubscriptionRow = $row;
        $answer {
            owner: owner(&r),
            id: r.id,
            url: r.url,
            events: r.events,
            merchant_id: r.merchant_id,
            enabled: r.disabled_at.is_none(),
            disabled_at: r.disabled_at,
            version: r.version,
            created_at: r.created_at,
            $($own,)*
        }
    }};
}

/// A subscription as its owner (or an admin) sees it, without its secret.
pub fn webhook(r: SubscriptionRow) -> Webhook {
    subscription!(Webhook from r)
}

/// The stored row with its secret in clear, this once.
pub fn created(r: SubscriptionRow, secret: String) -> CreatedWebhook {
    subscription!(CreatedWebhook from r, secret)
}

/// The edited row, with its new secret in clear when the edit set one.
pub fn updated(r: SubscriptionRow, secret: Option<String>) -> UpdatedWebhook {
    subscription!(UpdatedWebhook from r, secret)
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
        last_error: r.last_error,
        created_at: r.created_at,
    }
}
