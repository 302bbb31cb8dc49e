//! The broker side of tests: a TCP proxy a test can cut, a tap that sees every event of a test
//! exchange, and publishing as a producer's relay would.

use std::sync::Arc;
use std::time::Duration;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Mutex;
use tokio::task::JoinHandle;

use super::{eventually, namespace};
use crate::settings::AmqpSettings;

/// A TCP proxy to the broker. `cut()` drops every connection and stops listening, as a broker
/// that went away; `restore()` listens again on the same port.
pub struct BrokerProxy {
    port: u16,
    upstream: String,
    state: Arc<Mutex<Option<JoinHandle<()>>>>,
}

impl BrokerProxy {
    pub async fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let port = listener
            .local_addr()
            .unwrap_or_else(|e| panic!("{e}"))
            .port();
        let proxy = Self {
            port,
            upstream: "127.0.0.1:5672".into(),
            state: Arc::new(Mutex::new(None)),
        };
        *proxy.state.lock().await =
            Some(tokio::spawn(accept_loop(listener, proxy.upstream.clone())));
        proxy
    }

    /// An AMQP URL through the proxy.
    pub fn url(&self) -> String {
        format!("amqp://guest:guest@127.0.0.1:{}/%2f", self.port)
    }

    pub async fn cut(&self) {
        if let Some(task) = self.state.lock().await.take() {
            task.abort();
            let _ = task.await;
        }
    }

    pub async fn restore(&self) {
        let mut state = self.state.lock().await;
        if state.is_none() {
            let listener = TcpListener::bind(("127.0.0.1", self.port))
                .await
                .unwrap_or_else(|e| panic!("rebinding the broker proxy: {e}"));
            *state = Some(tokio::spawn(accept_loop(listener, self.upstream.clone())));
        }
    }
}

/// Accepts and pipes connections; aborting this task drops the listener and (through the
/// JoinSet) every piped connection.
async fn accept_loop(listener: TcpListener, upstream: String) {
    let mut pipes = tokio::task::JoinSet::new();
    while let Ok((mut client, _)) = listener.accept().await {
        let upstream = upstream.clone();
        pipes.spawn(async move {
            if let Ok(mut server) = TcpStream::connect(&upstream).await {
                let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
            }
        });
    }
}

/// A connection to the test broker and a channel on it.
pub async fn connect(amqp: &AmqpSettings) -> (lapin::Connection, lapin::Channel) {
    use secrecy::ExposeSecret;
    let conn = lapin::Connection::connect(amqp.url.expose_secret(), Default::default())
        .await
        .unwrap_or_else(|e| panic!("connect to the test broker: {e}"));
    let channel = conn
        .create_channel()
        .await
        .unwrap_or_else(|e| panic!("a channel: {e}"));
    (conn, channel)
}

/// Declares the test exchanges and `queue`, private to this connection, bound with `#` to the
/// test exchange: it receives one copy of every message published there.
pub async fn bind_tap(channel: &lapin::Channel, amqp: &AmqpSettings, queue: &str) {
    use lapin::options::{QueueBindOptions, QueueDeclareOptions};
    crate::events::topology::declare_exchanges(channel, amqp)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    channel
        .queue_declare(
            queue.into(),
            QueueDeclareOptions {
                exclusive: true,
                auto_delete: true,
                ..Default::default()
            },
            Default::default(),
        )
        .await
        .unwrap_or_else(|e| panic!("tap queue: {e}"));
    channel
        .queue_bind(
            queue.into(),
            amqp.exchange.as_str().into(),
            "#".into(),
            QueueBindOptions::default(),
            Default::default(),
        )
        .await
        .unwrap_or_else(|e| panic!("tap binding: {e}"));
}

/// A private, exclusive queue that receives every event published on a test exchange.
pub struct EventTap {
    _conn: lapin::Connection,
    channel: lapin::Channel,
    queue: String,
    /// Events taken from the queue while looking for another type: relays publish concurrently,
    /// so a later event may arrive first, and a later `next_of_type` must still find it.
    passed: std::sync::Mutex<std::collections::VecDeque<crate::events::CloudEvent>>,
}

impl EventTap {
    pub async fn bind(amqp: &AmqpSettings) -> Self {
        let (conn, channel) = connect(amqp).await;
        let queue = format!("{}tap.{}", amqp.queue_prefix, namespace());
        bind_tap(&channel, amqp, &queue).await;
        Self {
            _conn: conn,
            channel,
            queue,
            passed: Default::default(),
        }
    }

    /// The next event already waiting, if any.
    pub async fn try_next(&self) -> Option<crate::events::CloudEvent> {
        if let Some(event) = self.passed.lock().expect("tap buffer").pop_front() {
            return Some(event);
        }
        self.take().await
    }

    /// The next event from the queue itself (not from those passed over); the rest of a batch
    /// message joins those passed over.
    async fn take(&self) -> Option<crate::events::CloudEvent> {
        use lapin::options::BasicGetOptions;
        let msg = self
            .channel
            .basic_get(self.queue.as_str().into(), BasicGetOptions { no_ack: true })
            .await
            .ok()??;
        let events = crate::events::CloudEvent::from_message(&msg.delivery.data).ok()?;
        let mut events = events.into_iter();
        let first = events.next();
        self.passed.lock().expect("tap buffer").extend(events);
        first
    }

    /// The first event among those passed over for which `wanted` holds, taken out.
    fn passed_matching(
        &self,
        wanted: &impl Fn(&crate::events::CloudEvent) -> bool,
    ) -> Option<crate::events::CloudEvent> {
        let mut passed = self.passed.lock().expect("tap buffer");
        let at = passed.iter().position(wanted);
        at.and_then(|i| passed.remove(i))
    }

    /// Waits for the next event of `event_type` (others are skipped), up to `timeout`.
    pub async fn next_of_type(
        &self,
        event_type: &str,
        timeout: Duration,
    ) -> crate::events::CloudEvent {
        self.next_matching(event_type, |_| true, timeout).await
    }

    /// Waits for the next event of `event_type` for which `wanted` holds (others are kept for
    /// later calls), up to `timeout`: e.g. the notification of one template when others of the
    /// same type may come first.
    pub async fn next_matching(
        &self,
        event_type: &str,
        wanted: impl Fn(&crate::events::CloudEvent) -> bool,
        timeout: Duration,
    ) -> crate::events::CloudEvent {
        let wanted = |e: &crate::events::CloudEvent| e.type_ == event_type && wanted(e);
        eventually(timeout, &format!("a {event_type} event"), || async {
            if let Some(event) = self.passed_matching(&wanted) {
                return Some(event);
            }
            let event = self.take().await?;
            if wanted(&event) {
                return Some(event);
            }
            self.passed.lock().expect("tap buffer").push_back(event);
            None
        })
        .await
    }
}

/// The event `source`'s relay would carry for `payload` about `subject` at `time`: a fresh id,
/// no request behind it.
pub fn relayed<P: crate::events::EventPayload>(
    source: &str,
    subject: impl std::fmt::Display,
    payload: &P,
    time: chrono::DateTime<chrono::Utc>,
) -> crate::events::CloudEvent {
    crate::events::CloudEvent::new(
        source,
        subject.to_string(),
        payload,
        &crate::request::RequestContext::detached(),
        uuid::Uuid::now_v7(),
        time,
    )
}

/// Publishes `event` to the test exchange as a producer's relay would (persistent, confirmed).
pub async fn publish(amqp: &AmqpSettings, event: &crate::events::CloudEvent) {
    let body = serde_json::to_vec(event).unwrap_or_else(|e| panic!("{e}"));
    publish_message(amqp, &event.type_, event.id, &body).await;
}

/// Publishes `events` (of one type) as one batch message, as a producer's relay does with the
/// events of one request (`Outbox::enqueue_batched`): a consumer gets them all at once.
pub async fn publish_batch(amqp: &AmqpSettings, events: &[crate::events::CloudEvent]) {
    let body = serde_json::to_vec(events).unwrap_or_else(|e| panic!("{e}"));
    let type_ = events.first().map(|e| e.type_.as_str()).unwrap_or_default();
    publish_message(amqp, type_, uuid::Uuid::now_v7(), &body).await;
}

async fn publish_message(amqp: &AmqpSettings, routing_key: &str, id: uuid::Uuid, body: &[u8]) {
    use lapin::options::{BasicPublishOptions, ConfirmSelectOptions};
    let (conn, ch) = connect(amqp).await;
    ch.confirm_select(ConfirmSelectOptions::default())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    crate::events::topology::declare_exchanges(&ch, amqp)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    ch.basic_publish(
        amqp.exchange.as_str().into(),
        routing_key.into(),
        BasicPublishOptions::default(),
        body,
        lapin::BasicProperties::default()
            .with_delivery_mode(2)
            .with_message_id(id.to_string().into()),
    )
    .await
    .unwrap_or_else(|e| panic!("{e}"))
    .await
    .unwrap_or_else(|e| panic!("{e}"));
    let _ = conn.close(200, "done".into()).await;
}
