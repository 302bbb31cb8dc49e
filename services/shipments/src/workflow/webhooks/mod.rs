//! Webhooks (SPEC §5): the fan-out of this service's events into persisted deliveries, one per
//! matching subscription (called by the consumers of `crate::events`), and the worker that sends them signed, with retries, SSRF checks and
//! the disabling of endpoints that keep failing (their owner told through their other endpoints).

use chrono::{DateTime, Utc};
use diesel::PgConnection;
use kuaidi_shared::clock::new_id;
use kuaidi_shared::events::catalogue::WebhookEndpointDisabledV1;
use kuaidi_shared::events::{CloudEvent, EventPayload};
use uuid::Uuid;

use crate::db::webhooks::{self as repo, DeliveryRow, SubscriptionRow};

pub mod failure;
mod in_flight;
pub mod registration;
pub mod signature;
pub mod target;
pub mod worker;

pub use worker::{Wake, Worker};

/// Deletes one batch of finished deliveries (succeeded or failed) whose last attempt is older
/// than `$1`, at most `$2`: the retention job (`webhooks.retention_days`). Pending ones stay.
pub const PURGE_SQL: &str = "DELETE FROM webhook_deliveries WHERE id IN (\
    SELECT id FROM webhook_deliveries WHERE status <> 'pending' AND updated_at < $1 \
    ORDER BY updated_at LIMIT $2)";

/// The sample event `:test` sends.
pub const TEST_EVENT: &str = "webhook.test";

/// Told to the owner of an endpoint that was disabled, through their other endpoints.
pub const ENDPOINT_DISABLED: &str = WebhookEndpointDisabledV1::TYPE;

/// Event types a subscription may name (or `*` for all of them).
// NOTE: external contract — merchants subscribe to these names.
pub const DELIVERABLE: &[&str] = &[
    "shipment.created",
    "shipment.status_changed",
    "shipment.delivered",
    "shipment.exception_raised",
    "shipment.eta_changed",
    "notification.requested",
    ENDPOINT_DISABLED,
    TEST_EVENT,
];

/// Queues each of `events` for every enabled subscription that wants it; returns how many.
/// The subscriptions are read once per run of events of one type, so events nobody subscribed
/// to — the common case — cost one small query per run, whatever its length.
pub fn fan_out(
    conn: &mut PgConnection,
    events: &[&CloudEvent],
    now: DateTime<Utc>,
) -> anyhow::Result<usize> {
    let mut rows = Vec::new();
    for run in events.chunk_by(|a, b| a.type_ == b.type_) {
        let subscribers = repo::subscribers_of(conn, &run[0].type_)?;
        if subscribers.is_empty() {
            continue;
        }
        for event in run {
            let wanting: Vec<&SubscriptionRow> = subscribers
                .iter()
                .filter(|s| visible_to(s, event))
                .collect();
            if wanting.is_empty() {
                continue;
            }
            let payload = serde_json::to_value(event)?;
            rows.extend(
                wanting.into_iter().map(|s| {
                    DeliveryRow::pending(s.id, event.id, &event.type_, payload.clone(), now)
                }),
            );
        }
    }
    Ok(repo::insert_deliveries(conn, &rows)?)
}

/// A merchant's endpoint receives only events about that merchant; others receive everything,
/// except `webhook.endpoint_disabled`, which only the disabled endpoint's owner receives.
pub fn visible_to(sub: &SubscriptionRow, event: &CloudEvent) -> bool {
    let field = |name: &str| event.data.get(name).and_then(|v| v.as_str());
    let merchant = field("merchant_id").and_then(|s| s.parse::<Uuid>().ok());
    match sub.merchant_id {
        Some(m) => merchant == Some(m),
        None if event.type_ == ENDPOINT_DISABLED => {
            merchant.is_none()
                && sub.owner_sub.is_some()
                && field("owner_sub") == sub.owner_sub.as_deref()
        }
        None => true,
    }
}

/// Queues `event` — the `webhook.endpoint_disabled` of `disabled` — for the owner's other
/// enabled endpoints that subscribed to it (or to `*`), in the caller's transaction; the worker
/// sends them signed like any delivery. Returns how many were queued.
pub fn notify_owner(
    conn: &mut PgConnection,
    event: &CloudEvent,
    disabled: &SubscriptionRow,
    now: DateTime<Utc>,
) -> anyhow::Result<usize> {
    let payload = serde_json::to_value(event)?;
    let rows: Vec<DeliveryRow> = repo::subscribers_of(conn, &event.type_)?
        .into_iter()
        .filter(|s| s.id != disabled.id && s.disabled_at.is_none() && visible_to(s, event))
        .map(|s| DeliveryRow::pending(s.id, event.id, &event.type_, payload.clone(), now))
        .collect();
    Ok(repo::insert_deliveries(conn, &rows)?)
}

/// The sample `webhook.test` event for a subscription.
pub fn test_event(sub: &SubscriptionRow, now: DateTime<Utc>) -> CloudEvent {
    CloudEvent {
        specversion: "1.0".into(),
        id: new_id(),
        source: format!("/kuaidi/{}", crate::SERVICE),
        type_: TEST_EVENT.into(),
        time: now,
        subject: Some(sub.id.to_string()),
        datacontenttype: "application/json".into(),
        dataschema: format!("kuaidi:{TEST_EVENT}:v1"),
        traceparent: None,
        data: serde_json::json!({
            "webhook_id": sub.id,
            "merchant_id": sub.merchant_id,
            "message": "A test event sent on request; it is about no real shipment.",
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kuaidi_shared::clock::Clock;

    fn sub(merchant_id: Option<Uuid>, owner_sub: Option<&str>) -> SubscriptionRow {
        SubscriptionRow {
            id: new_id(),
            merchant_id,
            owner_sub: owner_sub.map(Into::into),
            url: "https://hooks.example.com/k".into(),
            events: vec!["*".into()],
            secret_sealed: Vec::new(),
            failing_since: None,
            disabled_at: None,
            created_at: Clock::system().now(),
            version: 1,
        }
    }

    fn disabled_event(of: &SubscriptionRow) -> CloudEvent {
        let ctx = kuaidi_shared::request::RequestContext::detached();
        let now = Clock::system().now();
        crate::events::Emitter { ctx: &ctx, now }.endpoint_disabled(of, now)
    }

    #[test]
    fn only_the_owner_of_a_disabled_endpoint_sees_that_it_was_disabled() {
        let (m, n) = (new_id(), new_id());
        let merchants = disabled_event(&sub(Some(m), None));
        assert!(visible_to(&sub(Some(m), None), &merchants));
        assert!(!visible_to(&sub(Some(n), None), &merchants));
        assert!(
            !visible_to(&sub(None, Some("admin-1")), &merchants),
            "an endpoint of staff that sees every shipment event is not told of a merchant's"
        );
        let admins = disabled_event(&sub(None, Some("admin-1")));
        assert!(visible_to(&sub(None, Some("admin-1")), &admins));
        assert!(!visible_to(&sub(None, Some("admin-2")), &admins));
        assert!(!visible_to(&sub(Some(m), None), &admins));
        let nobodys = disabled_event(&sub(None, None));
        assert!(!visible_to(&sub(None, None), &nobodys));
    }

    #[test]
    fn the_endpoint_disabled_event_may_be_subscribed_to() {
        assert!(DELIVERABLE.contains(&"webhook.endpoint_disabled"));
    }

    #[test]
    fn default_settings_retry_for_a_day_on_the_spec_schedule_and_refuse_private_targets() {
        let s = crate::configuration::load_webhooks().expect("the defaults load");
        if std::env::var_os("KUAIDI_SHIPMENTS__WEBHOOKS__ALLOW_PRIVATE_TARGETS").is_none() {
            assert!(!s.allow_private_targets, "private targets are opt-in");
        }
        assert_eq!(
            s.retry_schedule_ms,
            vec![60_000, 300_000, 1_800_000, 7_200_000, 21_600_000, 43_200_000]
        );
        assert_eq!(s.retry_for_ms, 24 * 3_600_000);
        assert_eq!(s.disable_after_ms, 3 * 24 * 3_600_000);
        assert_eq!(s.request_timeout_ms, 10_000);
        assert!(
            s.lease_ms > s.request_timeout_ms,
            "a claim outlives a request"
        );
    }
}
