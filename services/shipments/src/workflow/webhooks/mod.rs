//! Webhooks (SPEC §5): the fan-out of this service's events into persisted deliveries, one per
//! matching subscription (called by the consumers of `crate::events`), and the worker that sends them signed, with retries, SSRF checks and
//! the disabling of endpoints that keep failing.

use chrono::{DateTime, Utc};
use diesel::PgConnection;
use kuaidi_shared::clock::new_id;
use kuaidi_shared::events::CloudEvent;
use uuid::Uuid;

use crate::db::webhooks::{self as repo, DeliveryRow, SubscriptionRow};

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

/// Event types a subscription may name (or `*` for all of them).
// NOTE: external contract — merchants subscribe to these names.
pub const DELIVERABLE: &[&str] = &[
    "shipment.created",
    "shipment.status_changed",
    "shipment.delivered",
    "shipment.exception_raised",
    "shipment.eta_changed",
    "notification.requested",
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

/// A merchant's endpoint receives only events about that merchant; others receive everything.
pub fn visible_to(sub: &SubscriptionRow, event: &CloudEvent) -> bool {
    match sub.merchant_id {
        None => true,
        Some(m) => {
            event
                .data
                .get("merchant_id")
                .and_then(|v| v.as_str())
                .and_then(|s| s.parse::<Uuid>().ok())
                == Some(m)
        }
    }
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
