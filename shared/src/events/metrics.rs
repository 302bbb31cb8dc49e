//! Prometheus counters of the event bus, labelled by service.

use prometheus::{IntCounterVec, IntGaugeVec, Opts, Registry};
use std::sync::LazyLock;

pub struct BusMetrics {
    pub published: IntCounterVec,
    pub handled: IntCounterVec,
    pub retried: IntCounterVec,
    pub dead_lettered: IntCounterVec,
    pub duplicates: IntCounterVec,
    pub broker_connected: IntGaugeVec,
    /// Broker losses in a row of a consumer; its reconnect backoff grows with it.
    pub consumer_failures: IntGaugeVec,
}

fn counter(name: &str, help: &str) -> IntCounterVec {
    // Names and labels are constants: construction cannot fail.
    IntCounterVec::new(Opts::new(name, help), &["service"]).unwrap_or_else(|e| panic!("{e}"))
}

pub static BUS: LazyLock<BusMetrics> = LazyLock::new(|| BusMetrics {
    published: counter(
        "kuaidi_events_published_total",
        "Events published from the outbox",
    ),
    handled: counter("kuaidi_events_handled_total", "Events handled by consumers"),
    retried: counter(
        "kuaidi_events_retried_total",
        "Deliveries scheduled for a retry",
    ),
    dead_lettered: counter(
        "kuaidi_events_dead_lettered_total",
        "Deliveries sent to the DLQ",
    ),
    duplicates: counter(
        "kuaidi_events_duplicate_total",
        "Redeliveries with no second effect",
    ),
    broker_connected: IntGaugeVec::new(
        Opts::new(
            "kuaidi_broker_connected",
            "1 while the relay is connected to the broker",
        ),
        &["service"],
    )
    .unwrap_or_else(|e| panic!("{e}")),
    consumer_failures: IntGaugeVec::new(
        Opts::new(
            "kuaidi_consumer_broker_failures",
            "Broker losses in a row of the consumer (0 while it consumes)",
        ),
        &["service"],
    )
    .unwrap_or_else(|e| panic!("{e}")),
});

/// Registers the bus metrics in an application's registry (each app has its own registry so
/// several apps can live in one test process).
pub fn register(registry: &Registry) {
    let m = &*BUS;
    let collectors: [Box<dyn prometheus::core::Collector>; 7] = [
        Box::new(m.published.clone()),
        Box::new(m.handled.clone()),
        Box::new(m.retried.clone()),
        Box::new(m.dead_lettered.clone()),
        Box::new(m.duplicates.clone()),
        Box::new(m.broker_connected.clone()),
        Box::new(m.consumer_failures.clone()),
    ];
    for c in collectors {
        if let Err(e) = registry.register(c) {
            tracing::warn!(error = %e, "metric registration failed");
        }
    }
}
