//! Names and declarations on the broker: the topic exchange, each service's quorum queue with
//! its retry queue, and the dead-letter exchange with the service's DLQ.

use lapin::options::{ExchangeDeclareOptions, QueueBindOptions, QueueDeclareOptions};
use lapin::types::{AMQPValue, FieldTable, ShortString};
use lapin::{Channel, ExchangeKind};

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
