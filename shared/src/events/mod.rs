//! The event bus (SPEC §7): CloudEvents on the RabbitMQ topic exchange `kuaidi.events`, written
//! through a transactional outbox and consumed by idempotent handlers on quorum queues.

pub mod apply;
pub mod catalogue;
pub mod consumer;
pub mod envelope;
pub mod metrics;
pub mod outbox;
pub mod registry;
pub mod relay;
pub mod retention;
pub mod retry;
pub mod topology;

pub use catalogue::EventPayload;
pub use consumer::{EventHandler, Failed, Subscription};
pub use envelope::CloudEvent;
pub use outbox::Outbox;
pub use registry::Consumers;

/// Cooperative shutdown signal for the bus tasks: `true` once the service is stopping.
pub type Shutdown = tokio::sync::watch::Receiver<bool>;

/// Connects to the broker, naming the connection after the service (visible in the management UI).
pub(crate) async fn connect(url: &str, name: &str) -> Result<lapin::Connection, lapin::Error> {
    let props = lapin::ConnectionProperties::default().with_connection_name(name.into());
    lapin::Connection::connect(url, props).await
}

/// Longest a broker may take to open a connection and set a channel up, or to confirm a batch
/// of publishes: a broker that accepts TCP but never answers (half-dead node, a partition
/// without a reset) is treated as gone, and the bus task reconnects, instead of waiting forever.
pub(crate) const BROKER_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);

/// Runs `setup` against the broker, failing it after [`BROKER_TIMEOUT`].
pub(crate) async fn within_broker_timeout<T>(
    what: &str,
    setup: impl std::future::Future<Output = anyhow::Result<T>>,
) -> anyhow::Result<T> {
    tokio::time::timeout(BROKER_TIMEOUT, setup)
        .await
        .unwrap_or_else(|_| {
            anyhow::bail!("the broker did not answer within {BROKER_TIMEOUT:?} ({what})")
        })
}

/// Exponential backoff for reconnecting: 100 ms doubling to 5 s.
pub(crate) fn reconnect_delay(failures: u32) -> std::time::Duration {
    std::time::Duration::from_millis((100u64 << failures.min(6)).min(5_000))
}

/// Sleeps unless shutdown is signalled first; returns `true` when shutting down.
pub(crate) async fn sleep_or_shutdown(d: std::time::Duration, shutdown: &mut Shutdown) -> bool {
    if *shutdown.borrow() {
        return true;
    }
    tokio::select! {
        _ = tokio::time::sleep(d) => false,
        _ = shutdown.changed() => true,
    }
}
