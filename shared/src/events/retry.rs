//! Retries of a failed delivery: its attempt count travels in a header, and it is re-published
//! to the service's retry queue with a growing, jittered delay (the queue's dead-letter route
//! brings it back to the main queue when the delay expires). After the last attempt a delivery
//! is rejected into the dead-letter queue.

use lapin::message::Delivery;
use lapin::options::{BasicAckOptions, BasicPublishOptions, BasicRejectOptions};
use lapin::types::{AMQPValue, ShortString};
use lapin::{BasicProperties, Channel};

use super::consumer::Subscription;
use super::envelope::CloudEvent;
use super::metrics::BUS;
use super::topology::QueueNames;

const ATTEMPT_HEADER: &str = "x-kuaidi-attempt";

pub(super) fn attempt_of(delivery: &Delivery) -> u32 {
    delivery
        .properties
        .headers()
        .as_ref()
        .and_then(|h| h.inner().get(ATTEMPT_HEADER))
        .and_then(|v| match v {
            AMQPValue::LongUInt(n) => Some(*n),
            AMQPValue::LongLongInt(n) => u32::try_from(*n).ok(),
            AMQPValue::LongInt(n) => u32::try_from(*n).ok(),
            _ => None,
        })
        .unwrap_or(0)
}

/// Backoff before attempt `attempt + 1`: base × 2^(attempt-1), with ±20 % jitter.
pub fn retry_delay_ms(base_ms: u64, attempt: u32, jitter: f64) -> u64 {
    let exp = base_ms.saturating_mul(1u64 << (attempt.saturating_sub(1)).min(16));
    let factor = 0.8 + 0.4 * jitter.clamp(0.0, 1.0);
    ((exp as f64) * factor).round() as u64
}

/// Retries `delivery` later, or dead-letters it after its last attempt; then settles it.
/// `false` when lapin refused the final acknowledgement or rejection (the channel had closed).
pub(super) async fn settle_failure(
    sub: &Subscription,
    names: &QueueNames,
    ch: &Channel,
    delivery: &Delivery,
    event: Option<&CloudEvent>,
    e: anyhow::Error,
) -> lapin::Result<bool> {
    let service = sub.service.as_str();
    let attempt = attempt_of(delivery) + 1;
    let (event_id, event_type) = event.map_or((None, ""), |e| (Some(e.id), e.type_.as_str()));
    if attempt >= sub.settings.max_attempts {
        tracing::error!(service, ?event_id, event_type, attempt, error = %e,
            "handler failed on every attempt; dead-lettering");
        BUS.dead_lettered.with_label_values(&[service]).inc();
        return delivery.reject(BasicRejectOptions { requeue: false }).await;
    }
    tracing::warn!(service, ?event_id, event_type, attempt, error = %e,
        "handler failed; retrying later");
    schedule_retry(sub, names, ch, delivery, attempt).await?;
    BUS.retried.with_label_values(&[service]).inc();
    delivery.ack(BasicAckOptions::default()).await
}

async fn schedule_retry(
    sub: &Subscription,
    names: &QueueNames,
    ch: &Channel,
    delivery: &Delivery,
    attempt: u32,
) -> lapin::Result<()> {
    let delay = retry_delay_ms(sub.settings.retry_base_ms, attempt, rand::random::<f64>());
    let mut headers = delivery.properties.headers().clone().unwrap_or_default();
    headers.insert(
        ShortString::from(ATTEMPT_HEADER),
        AMQPValue::LongUInt(attempt),
    );
    let props = BasicProperties::default()
        .with_delivery_mode(2)
        .with_headers(headers)
        .with_expiration(delay.to_string().into())
        .with_content_type(
            delivery
                .properties
                .content_type()
                .clone()
                .unwrap_or_else(|| "application/cloudevents+json".into()),
        );
    let props = match delivery.properties.message_id() {
        Some(id) => props.with_message_id(id.clone()),
        None => props,
    };
    // Published to the retry queue through the default exchange and confirmed before the
    // original is acknowledged: a crash in between duplicates, never loses.
    ch.basic_publish(
        "".into(),
        names.retry.as_str().into(),
        BasicPublishOptions::default(),
        &delivery.data,
        props,
    )
    .await?
    .await
    .map(drop)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_delay_doubles_per_attempt_within_jitter() {
        assert_eq!(retry_delay_ms(1000, 1, 0.5), 1000);
        assert_eq!(retry_delay_ms(1000, 2, 0.5), 2000);
        assert_eq!(retry_delay_ms(1000, 4, 0.5), 8000);
        assert_eq!(retry_delay_ms(1000, 1, 0.0), 800);
        assert_eq!(retry_delay_ms(1000, 1, 1.0), 1200);
    }
}
