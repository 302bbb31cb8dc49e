//! Names and declarations on the broker: the topic exchange, each service's quorum queue with
//! its retry queue, and the dead-letter exchange with the service's DLQ.

use lapin::options::{ExchangeDeclareOptions, QueueBindOptions, QueueDeclareOptions};
use lapin::types::{AMQPValue, FieldTable, ShortString};
use lapin::{Channel, ExchangeKind};

use super::catalogue::*;
use crate::settings::AmqpSettings;

/// The queue names of one consuming service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueNames {
    /// `<prefix><service>.events`: quorum queue the service's replicas compete on.
    pub main: String,
    /// `<main>.retry`: failed deliveries wait here for their backoff, then return to `main`.
    pub retry: String,
    /// `<main>.dlq`: deliveries that failed every attempt, or could not be decoded.
    pub dlq: String,
    /// `<exchange>.dlx`.
    pub dlx: String,
}

impl QueueNames {
    pub fn new(settings: &AmqpSettings, service: &str) -> Self {
        let main = format!("{}{service}.events", settings.queue_prefix);
        Self {
            retry: format!("{main}.retry"),
            dlq: format!("{main}.dlq"),
            dlx: format!("{}.dlx", settings.exchange),
            main,
        }
    }
}

fn table(entries: &[(&str, AMQPValue)]) -> FieldTable {
    let mut t = FieldTable::default();
    for (k, v) in entries {
        t.insert(ShortString::from(*k), v.clone());
    }
    t
}

fn text(s: &str) -> AMQPValue {
    AMQPValue::LongString(s.into())
}

/// Declares the exchanges every service publishes to (idempotent).
pub async fn declare_exchanges(ch: &Channel, settings: &AmqpSettings) -> lapin::Result<()> {
    let durable = ExchangeDeclareOptions {
        durable: true,
        auto_delete: settings.exchange_auto_delete,
        ..Default::default()
    };
    ch.exchange_declare(
        settings.exchange.as_str().into(),
        ExchangeKind::Topic,
        durable,
        FieldTable::default(),
    )
    .await?;
    ch.exchange_declare(
        format!("{}.dlx", settings.exchange).into(),
        ExchangeKind::Direct,
        durable,
        FieldTable::default(),
    )
    .await
}

/// Declares a consuming service's queues and binds `event_types` (idempotent).
pub async fn declare_queues(
    ch: &Channel,
    settings: &AmqpSettings,
    names: &QueueNames,
    event_types: &[&str],
) -> lapin::Result<()> {
    declare_exchanges(ch, settings).await?;
    let durable = QueueDeclareOptions {
        durable: true,
        ..Default::default()
    };
    let expires = settings
        .queue_expires_ms
        .map(|ms| ("x-expires", AMQPValue::LongUInt(ms)));
    let with_expiry = |mut v: Vec<(&'static str, AMQPValue)>| {
        v.extend(expires.clone());
        table(&v)
    };
    ch.queue_declare(
        names.main.as_str().into(),
        durable,
        with_expiry(vec![
            ("x-queue-type", text("quorum")),
            ("x-dead-letter-exchange", text(&names.dlx)),
            ("x-dead-letter-routing-key", text(&names.main)),
            // Dead-lettering that cannot lose a message: the broker keeps it until the DLQ
            // confirms it.
            ("x-dead-letter-strategy", text("at-least-once")),
            ("x-overflow", text("reject-publish")),
        ]),
    )
    .await?;
    for key in event_types {
        ch.queue_bind(
            names.main.as_str().into(),
            settings.exchange.as_str().into(),
            (*key).into(),
            QueueBindOptions::default(),
            FieldTable::default(),
        )
        .await?;
    }
    // Per-message TTL holds a failed delivery for its backoff; on expiry the broker routes it
    // back to the main queue through the default exchange.
    ch.queue_declare(
        names.retry.as_str().into(),
        durable,
        with_expiry(vec![
            ("x-queue-type", text("classic")),
            ("x-dead-letter-exchange", text("")),
            ("x-dead-letter-routing-key", text(&names.main)),
        ]),
    )
    .await?;
    ch.queue_declare(
        names.dlq.as_str().into(),
        durable,
        with_expiry(vec![("x-queue-type", text("quorum"))]),
    )
    .await?;
    ch.queue_bind(
        names.dlq.as_str().into(),
        names.dlx.as_str().into(),
        names.main.as_str().into(),
        QueueBindOptions::default(),
        FieldTable::default(),
    )
    .await
}

/// Every consuming service and the event types its queue is bound to: the whole topology of
/// the deployment in one list. Each relay declares all of it before it publishes (see
/// [`declare_subscriptions`]), so no event is published before the queue of a service that
/// wants it exists — a brand-new deployment whose consumers have not connected yet (the broker
/// was down when they started, or a service is rolled out later) loses nothing; RabbitMQ
/// drops what a topic exchange cannot route. Every service consumes the gateway's revocations
/// (`auth::revocations`). A service handling a type missing here refuses to
/// start ([`check_subscribed`]); a type listed but no longer handled is acknowledged unread.
// NOTE: add the type here in the same change that registers its handler.
pub const SUBSCRIPTIONS: &[(&str, &[&str])] = &[
    (
        "customers",
        &[
            ShipmentCreatedV1::TYPE,
            ShipmentDeliveredV1::TYPE,
            ComplaintReceivedV1::TYPE,
            ComplaintClosedV1::TYPE,
            ComplaintReopenedV1::TYPE,
            SurveySubmittedV1::TYPE,
            NotificationRequestedV1::TYPE,
            ClientRevokedV1::TYPE,
            ApiKeyRevokedV1::TYPE,
            UserSessionsEndedV1::TYPE,
        ],
    ),
    (
        "shipments",
        &[
            ShipmentCreatedV1::TYPE,
            ShipmentStatusChangedV1::TYPE,
            ShipmentDeliveredV1::TYPE,
            ShipmentExceptionRaisedV1::TYPE,
            ShipmentEtaChangedV1::TYPE,
            NotificationRequestedV1::TYPE,
            CustomerCreatedV1::TYPE,
            CustomerUpdatedV1::TYPE,
            CustomerTierChangedV1::TYPE,
            CustomerMergedV1::TYPE,
            CustomerMergeUndoneV1::TYPE,
            CustomerErasedV1::TYPE,
            ClientRevokedV1::TYPE,
            ApiKeyRevokedV1::TYPE,
            UserSessionsEndedV1::TYPE,
        ],
    ),
    (
        "complaints",
        &[
            ShipmentCreatedV1::TYPE,
            ShipmentDeliveredV1::TYPE,
            ShipmentExceptionRaisedV1::TYPE,
            CustomerCreatedV1::TYPE,
            CustomerUpdatedV1::TYPE,
            CustomerTierChangedV1::TYPE,
            CustomerOwnerChangedV1::TYPE,
            CustomerMergedV1::TYPE,
            CustomerMergeUndoneV1::TYPE,
            CustomerErasedV1::TYPE,
            ClientRevokedV1::TYPE,
            ApiKeyRevokedV1::TYPE,
            UserSessionsEndedV1::TYPE,
        ],
    ),
    (
        "analytics",
        &[
            ShipmentCreatedV1::TYPE,
            ShipmentStatusChangedV1::TYPE,
            ShipmentDeliveredV1::TYPE,
            ShipmentExceptionRaisedV1::TYPE,
            CustomerCreatedV1::TYPE,
            CustomerTierChangedV1::TYPE,
            CustomerStageChangedV1::TYPE,
            CustomerChurnRiskDetectedV1::TYPE,
            CustomerMergedV1::TYPE,
            CustomerMergeUndoneV1::TYPE,
            ComplaintReceivedV1::TYPE,
            ComplaintAssignedV1::TYPE,
            ComplaintFirstRespondedV1::TYPE,
            ComplaintStatusChangedV1::TYPE,
            ComplaintClosedV1::TYPE,
            ComplaintReopenedV1::TYPE,
            ComplaintSlaBreachedV1::TYPE,
            SurveySubmittedV1::TYPE,
            ClaimSettledV1::TYPE,
            ClientRevokedV1::TYPE,
            ApiKeyRevokedV1::TYPE,
            UserSessionsEndedV1::TYPE,
        ],
    ),
];

/// The event types [`SUBSCRIPTIONS`] binds to `service`'s queue.
pub fn subscribed(service: &str) -> &'static [&'static str] {
    SUBSCRIPTIONS
        .iter()
        .find(|(s, _)| *s == service)
        .map_or(&[], |(_, types)| *types)
}

/// Refuses a consumer whose handled types are not all in [`SUBSCRIPTIONS`] (a wiring bug: its
/// events could be lost by a brand-new deployment).
pub fn check_subscribed(service: &str, handled: &[&str]) -> anyhow::Result<()> {
    let listed = subscribed(service);
    let missing: Vec<&str> = handled
        .iter()
        .copied()
        .filter(|t| !listed.contains(t))
        .collect();
    anyhow::ensure!(
        missing.is_empty(),
        "{service} handles {missing:?}, missing from kuaidi_shared::events::topology::SUBSCRIPTIONS: \
         add them to its entry"
    );
    Ok(())
}

/// Declares every service's queues and bindings of [`SUBSCRIPTIONS`] (idempotent): what a relay
/// does before it publishes.
pub async fn declare_subscriptions(ch: &Channel, settings: &AmqpSettings) -> lapin::Result<()> {
    for (service, types) in SUBSCRIPTIONS {
        declare_queues(ch, settings, &QueueNames::new(settings, service), types).await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_consumer_of_an_unlisted_type_is_refused() {
        assert!(check_subscribed("analytics", &["shipment.created"]).is_ok());
        let err = check_subscribed("analytics", &["shipment.created", "claim.filed"])
            .expect_err("claim.filed is not in analytics' entry");
        assert!(err.to_string().contains("claim.filed"), "{err}");
        assert!(check_subscribed("nobody", &["shipment.created"]).is_err());
    }
}
