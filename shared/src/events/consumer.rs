//! Idempotent consumers. Each service's replicas compete on its quorum queue. A delivery is
//! handled in one database transaction together with its `processed_events` row, so a
//! redelivered event has no second effect; it is acknowledged only after that commit. A failed
//! delivery is re-published to the retry queue with a growing delay, and after the configured
//! attempts it is rejected into the dead-letter queue, while later messages keep flowing.
//!
//! Under load the deliveries already received (up to [`BATCH_MAX`] events) are handled together:
//! one transaction holds every event's handler and `processed_events` row, and one multiple-ack
//! after its commit settles them all. If one of them fails, the transaction is rolled back, the
//! events before it are handled again without it, and only the failing message is retried or
//! dead-lettered. A lone delivery is handled as soon as it arrives (no waiting to fill a batch).
//!
//! A message may carry a batch of events of one type (`application/cloudevents-batch+json`,
//! written by `Outbox::enqueue_batched`): each event is handled, and deduplicated by its own id,
//! exactly as if it had come alone; when one of them fails, the others are handled one by one
//! before the message is retried, so a poison event holds back only itself.

use diesel::prelude::*;
use futures_util::{FutureExt, StreamExt};
use lapin::message::Delivery;
use lapin::options::{
    BasicAckOptions, BasicConsumeOptions, BasicQosOptions, BasicRejectOptions, ConfirmSelectOptions,
};
use lapin::types::FieldTable;
use lapin::Channel;
use secrecy::ExposeSecret;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

pub use super::apply::{apply, apply_all, Failed, Handled};
use super::envelope::CloudEvent;
use super::metrics::BUS;
use super::retry::settle_failure;
use super::topology::{declare_queues, QueueNames};
use super::{
    connect, reconnect_delay, sleep_or_shutdown, within_broker_timeout, Shutdown, BROKER_TIMEOUT,
};
use crate::db::PgPool;
use crate::settings::AmqpSettings;

/// Most events handled in one transaction (also bounded by the prefetch); a batch message of
/// more is handled alone.
pub const BATCH_MAX: usize = 200;

/// How often a consumer waiting on the broker (for a delivery, an acknowledgement) checks that
/// its channel is still open. A connection's death is not always told to everything waiting on
/// it: a consumer cut off from the broker in the middle of a stream was seen waiting forever,
/// neither its deliveries nor its acknowledgement ever settled (`broker_going_away_mid_stream`
/// in `shared/tests/event_bus.rs`, about one run in seven once the database answered faster).
const WATCH: Duration = Duration::from_secs(1);

/// A service's handler for the events it consumes.
pub trait EventHandler: Send + Sync + 'static {
    /// Routing keys (event types) the service's queue is bound to.
    fn event_types(&self) -> &[&'static str];

    /// Whether events of `event_type` are recorded in `processed_events` (the default). A
    /// handler that a redelivery leaves with nothing to do (its writes keyed by the event's id,
    /// or by state that says what was done) needs no record, which is most of what such an
    /// event costs when there is nothing to do for it.
    fn recorded(&self, _event_type: &str) -> bool {
        true
    }

    /// Applies `event` inside the caller's transaction. An error rolls the transaction back
    /// and schedules a retry.
    fn handle(&self, conn: &mut PgConnection, event: &CloudEvent) -> anyhow::Result<()>;

    /// Applies `events`, in order, inside the caller's transaction; by default one by one. A
    /// handler that does a run of events in fewer statements overrides it; when it cannot tell
    /// which event failed, its [`Failed`] names none, and the consumer handles each delivery
    /// again alone to find it.
    fn handle_all(&self, conn: &mut PgConnection, events: &[&CloudEvent]) -> Result<(), Failed> {
        for (i, event) in events.iter().enumerate() {
            self.handle(conn, event).map_err(|e| Failed::at(i, e))?;
        }
        Ok(())
    }
}

/// What a consumer needs to run.
#[derive(Clone)]
pub struct Subscription {
    pub service: String,
    pub settings: AmqpSettings,
    pub pool: PgPool,
    pub handler: Arc<dyn EventHandler>,
}

/// Runs until shutdown, reconnecting whenever the broker goes away.
pub async fn run(sub: Subscription, mut shutdown: Shutdown) {
    let names = QueueNames::new(&sub.settings, &sub.service);
    let mut failures = 0u32;
    loop {
        if *shutdown.borrow() {
            return;
        }
        match consume(&sub, &names, &mut shutdown, &mut failures).await {
            Ok(()) => return,
            Err(e) => {
                failures += 1;
                BUS.consumer_failures
                    .with_label_values(&[sub.service.as_str()])
                    .set(i64::from(failures));
                tracing::warn!(service = %sub.service, error = %e, "consumer lost the broker; reconnecting");
                if sleep_or_shutdown(reconnect_delay(failures), &mut shutdown).await {
                    return;
                }
            }
        }
    }
}

/// Declares the subscription's exchanges, queues and bindings once (idempotent).
pub async fn declare(sub: &Subscription) -> anyhow::Result<()> {
    let names = QueueNames::new(&sub.settings, &sub.service);
    let conn = connect(
        sub.settings.url.expose_secret(),
        &format!("{}-setup", sub.service),
    )
    .await?;
    let ch = conn.create_channel().await?;
    declare_queues(&ch, &sub.settings, &names, sub.handler.event_types()).await?;
    let _ = conn.close(200, "declared".into()).await;
    Ok(())
}

/// One connection's life: returns `Ok` on shutdown, `Err` when the broker went away. Once it
/// consumes again it resets `failures`, so the next outage's backoff starts from the shortest.
async fn consume(
    sub: &Subscription,
    names: &QueueNames,
    shutdown: &mut Shutdown,
    failures: &mut u32,
) -> anyhow::Result<()> {
    let (conn, ch, mut deliveries) = within_broker_timeout("consumer set-up", async {
        let conn = connect(
            sub.settings.url.expose_secret(),
            &format!("{}-consumer", sub.service),
        )
        .await?;
        let ch = conn.create_channel().await?;
        declare_queues(&ch, &sub.settings, names, sub.handler.event_types()).await?;
        ch.confirm_select(ConfirmSelectOptions::default()).await?;
        ch.basic_qos(sub.settings.prefetch, BasicQosOptions::default())
            .await?;
        let deliveries = ch
            .basic_consume(
                names.main.as_str().into(),
                format!("{}-{}", sub.service, uuid::Uuid::new_v4()).into(),
                BasicConsumeOptions::default(),
                FieldTable::default(),
            )
            .await?;
        Ok((conn, ch, deliveries))
    })
    .await?;
    *failures = 0;
    BUS.consumer_failures
        .with_label_values(&[sub.service.as_str()])
        .set(i64::from(*failures));
    tracing::info!(service = %sub.service, queue = %names.main, "consumer started");
    let mut watch = tokio::time::interval(WATCH);
    loop {
        let next = tokio::select! {
            d = deliveries.next() => d,
            _ = watch.tick() => {
                if ch.status().connected() {
                    continue;
                }
                anyhow::bail!("the channel to the broker closed");
            }
            _ = shutdown.changed() => {
                // In-flight work is done (one batch at a time); unacked prefetched messages
                // return to the queue when the channel closes.
                let _ = conn.close(200, "shutdown".into()).await;
                return Ok(());
            }
        };
        let mut batch = match next {
            Some(Ok(delivery)) => vec![delivery],
            Some(Err(e)) => return Err(e.into()),
            None => anyhow::bail!("the broker ended the consumer"),
        };
        // What has already arrived joins the batch; nothing waits for more.
        let mut ended = None;
        while batch.len() < BATCH_MAX {
            match deliveries.next().now_or_never() {
                Some(Some(Ok(delivery))) => batch.push(delivery),
                Some(Some(Err(e))) => {
                    ended = Some(anyhow::Error::from(e));
                    break;
                }
                Some(None) => {
                    ended = Some(anyhow::anyhow!("the broker ended the consumer"));
                    break;
                }
                None => break,
            }
        }
        process_batch(sub, names, &ch, batch).await?;
        if let Some(e) = ended {
            return Err(e);
        }
    }
}

/// Awaits `op`, an operation on `ch` that settles deliveries (an acknowledgement, a rejection, a
/// retry's publish and acknowledgement), unless the channel closes first or the broker takes
/// longer than [`BROKER_TIMEOUT`]: the consumer then reconnects, and what it had not settled is
/// delivered again (and recognised as handled). `Ok(false)` from `op` — lapin refused it, the
/// channel having closed — is an error too: the delivery is not settled.
async fn settle(
    ch: &Channel,
    what: &str,
    op: impl Future<Output = lapin::Result<bool>>,
) -> anyhow::Result<()> {
    let mut op = std::pin::pin!(op);
    let mut watch = tokio::time::interval(WATCH);
    let deadline = tokio::time::Instant::now() + BROKER_TIMEOUT;
    loop {
        tokio::select! {
            done = &mut op => {
                anyhow::ensure!(done?, "the channel closed before the {what}");
                return Ok(());
            }
            _ = watch.tick() => {
                if !ch.status().connected() {
                    anyhow::bail!("the channel to the broker closed ({what})");
                }
                if tokio::time::Instant::now() > deadline {
                    anyhow::bail!("the broker did not answer within {BROKER_TIMEOUT:?} ({what})");
                }
            }
        }
    }
}

/// A delivery and the events it carries: one, or a batch of one type.
type Message = (Delivery, Vec<Arc<CloudEvent>>);

/// What remains of a batch, in order.
enum Work {
    /// Handle these in one transaction, then acknowledge them with one multiple-ack.
    Apply(Vec<Message>),
    /// This one failed (its handlers ran in the rolled-back transaction): retry or dead-letter.
    Failed(Box<Message>, anyhow::Error),
}

/// Handles `batch` in one transaction and acknowledges it with one multiple-ack. When a handler
/// fails, the messages before it are handled again in a transaction of their own, the failing
/// one is retried or dead-lettered, and the rest follow — so every delivery is attempted once,
/// whatever batch it arrived in. Messages are grouped so that no transaction holds many more
/// than [`BATCH_MAX`] events (a batch message of more is handled alone).
async fn process_batch(
    sub: &Subscription,
    names: &QueueNames,
    ch: &Channel,
    batch: Vec<Delivery>,
) -> anyhow::Result<()> {
    let service = sub.service.as_str();
    let mut groups: Vec<Vec<Message>> = vec![Vec::new()];
    let mut in_group = 0;
    for delivery in batch {
        match CloudEvent::from_message(&delivery.data) {
            Ok(events) => {
                let events: Vec<Arc<CloudEvent>> = events.into_iter().map(Arc::new).collect();
                if in_group > 0 && in_group + events.len() > BATCH_MAX {
                    groups.push(Vec::new());
                    in_group = 0;
                }
                in_group += events.len();
                groups.last_mut().expect("a group").push((delivery, events));
            }
            Err(e) => {
                tracing::error!(service, error = %e, "undecodable message dead-lettered");
                BUS.dead_lettered.with_label_values(&[service]).inc();
                let reject = delivery.reject(BasicRejectOptions { requeue: false });
                settle(ch, "rejection", reject).await?;
            }
        }
    }
    // The next piece of work on top.
    let mut todo: Vec<Work> = groups.into_iter().rev().map(Work::Apply).collect();
    while let Some(work) = todo.pop() {
        let mut segment = match work {
            Work::Apply(segment) if segment.is_empty() => continue,
            Work::Apply(segment) => segment,
            Work::Failed(failed, e) => {
                settle_failed(sub, names, ch, *failed, e).await?;
                continue;
            }
        };
        let events: Vec<Arc<CloudEvent>> = segment
            .iter()
            .flat_map(|(_, e)| e.iter().cloned())
            .collect();
        match apply_all(sub, events).await {
            Ok(outcomes) => {
                count(service, &outcomes);
                let multiple = segment.len() > 1;
                let (last, _) = segment.last().expect("not empty");
                let ack = last.ack(BasicAckOptions { multiple });
                settle(ch, "acknowledgement", ack).await?;
            }
            Err(Failed {
                index: Some(i),
                error,
            }) => {
                let m = message_holding(&segment, i);
                let rest = segment.split_off(m + 1);
                let failed = segment.pop().expect("the failing delivery");
                todo.push(Work::Apply(rest));
                todo.push(Work::Failed(Box::new(failed), error));
                todo.push(Work::Apply(segment));
            }
            // The transaction itself failed (connection, commit).
            Err(Failed { index: None, error }) if segment.len() == 1 => {
                let failed = segment.pop().expect("one delivery");
                todo.push(Work::Failed(Box::new(failed), error));
            }
            Err(Failed { index: None, .. }) => {
                todo.extend(segment.into_iter().rev().map(|d| Work::Apply(vec![d])));
            }
        }
    }
    Ok(())
}

/// The position in `segment` of the message holding its `event`-th event.
fn message_holding(segment: &[Message], event: usize) -> usize {
    let mut seen = 0;
    for (m, (_, events)) in segment.iter().enumerate() {
        seen += events.len();
        if event < seen {
            return m;
        }
    }
    segment.len() - 1
}

fn count(service: &str, outcomes: &[Handled]) {
    for outcome in outcomes {
        match outcome {
            Handled::Applied => BUS.handled.with_label_values(&[service]).inc(),
            Handled::Duplicate => BUS.duplicates.with_label_values(&[service]).inc(),
        }
    }
}

/// Settles a message whose handling failed. A batch message's events are first handled one
/// by one, each in a transaction of its own, so that only the failing ones are left: the
/// message is then retried (the events already handled come back as duplicates, with no
/// second effect) or dead-lettered as a whole.
async fn settle_failed(
    sub: &Subscription,
    names: &QueueNames,
    ch: &Channel,
    (delivery, events): Message,
    e: anyhow::Error,
) -> anyhow::Result<()> {
    let mut failure = (events.first().cloned(), e);
    if events.len() > 1 {
        let mut first_failure = None;
        for event in events {
            match apply_all(sub, vec![event.clone()]).await {
                Ok(outcomes) => count(&sub.service, &outcomes),
                Err(f) if first_failure.is_none() => first_failure = Some((Some(event), f.error)),
                Err(_) => {}
            }
        }
        match first_failure {
            Some(f) => failure = f,
            None => {
                let ack = delivery.ack(BasicAckOptions::default());
                return settle(ch, "acknowledgement", ack).await;
            }
        }
    }
    let (event, e) = failure;
    let retry_or_dead_letter = settle_failure(sub, names, ch, &delivery, event.as_deref(), e);
    settle(ch, "retry", retry_or_dead_letter).await
}
