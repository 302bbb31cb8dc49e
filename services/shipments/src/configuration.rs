//! Settings of the shipments service: `config/default.toml`, then `KUAIDI_SHIPMENTS__...`.

use kuaidi_shared::settings::{load_service, ServiceSettings};

use crate::domain::eta::EtaRules;
use crate::domain::tracking::ExpiryRules;

pub const DEFAULTS: &str = include_str!("../config/default.toml");

pub fn load() -> anyhow::Result<ServiceSettings> {
    load_service("SHIPMENTS", DEFAULTS)
}

/// Webhook delivery settings (`[webhooks]`, `KUAIDI_SHIPMENTS__WEBHOOKS__...`).
#[derive(Debug, Clone, serde::Deserialize)]
pub struct WebhookSettings {
    /// Allow endpoints on loopback and private networks (tests, on-premises receivers); never
    /// link-local or cloud metadata addresses.
    #[serde(default)]
    pub allow_private_targets: bool,
    /// Delay before retry n (the last one repeats), before ±10 % jitter.
    pub retry_schedule_ms: Vec<u64>,
    /// How long after its first attempt a delivery is retried before it is `failed`.
    pub retry_for_ms: u64,
    /// How long an endpoint may fail without a single success before it is disabled.
    pub disable_after_ms: u64,
    pub request_timeout_ms: u64,
    /// How often the worker looks for due deliveries when nothing woke it.
    pub poll_ms: u64,
    /// How long a worker's claim on a delivery lasts.
    pub lease_ms: u64,
    /// How many deliveries a replica sends at once; each that finishes makes room for the next.
    pub batch_size: i64,
    /// How many of those may go to one endpoint at once (the rest of its deliveries wait), so
    /// a slow or unreachable endpoint cannot hold up the others' (default 4).
    #[serde(default = "default_per_endpoint")]
    pub per_endpoint: i64,
    /// Finished deliveries (succeeded or failed) are deleted this many days after their last
    /// attempt (default 30).
    pub retention_days: u32,
}

fn default_per_endpoint() -> i64 {
    4
}

#[derive(serde::Deserialize)]
struct WebhookSection {
    webhooks: WebhookSettings,
}

/// Loads the `[webhooks]` section from the same defaults and environment as [`load`].
pub fn load_webhooks() -> anyhow::Result<WebhookSettings> {
    let section: WebhookSection = kuaidi_shared::settings::load("SHIPMENTS", &[DEFAULTS])?;
    Ok(section.webhooks)
}

/// The tracking rules that are configuration (SPEC §5 *default* numbers): when the sweep
/// expires a shipment (`[tracking]`), when a lane's own history sets its ETA (`[eta]`), and how
/// many shipments one transaction of `impact:notify` covers (`[impact]`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize)]
pub struct TrackingRules {
    pub tracking: ExpiryRules,
    pub eta: EtaRules,
    pub impact: ImpactSettings,
}

impl TrackingRules {
    /// The SPEC's defaults, as in `config/default.toml`.
    pub const DEFAULT: Self = Self {
        tracking: ExpiryRules::DEFAULT,
        eta: EtaRules::DEFAULT,
        impact: ImpactSettings::DEFAULT,
    };
}

/// Impact scope (`[impact]`, `KUAIDI_SHIPMENTS__IMPACT__...`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize)]
pub struct ImpactSettings {
    /// `POST /shipments/impact:notify` raises the notifications of this many affected shipments
    /// per transaction, chunk after chunk until all are notified.
    pub notify_chunk: i64,
}

impl ImpactSettings {
    pub const DEFAULT: Self = Self {
        notify_chunk: 1_000,
    };
}

/// Loads `[tracking]`, `[eta]` and `[impact]` from the same defaults and environment as [`load`].
pub fn load_rules() -> anyhow::Result<TrackingRules> {
    kuaidi_shared::settings::load("SHIPMENTS", &[DEFAULTS])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_defaults_file_holds_the_spec_numbers() {
        assert_eq!(
            load_rules().expect("the defaults load"),
            TrackingRules::DEFAULT
        );
    }

    #[test]
    fn each_rule_is_read_from_its_section() {
        let toml =
            "[tracking]\nexpire_after_days = 7\n[eta]\nlane_window_days = 14\nmin_samples = 5\n\
             [impact]\nnotify_chunk = 3\n";
        let rules: TrackingRules =
            kuaidi_shared::settings::load("SHIPMENTS_RULES_TEST", &[toml]).expect("loads");
        assert_eq!(rules.tracking.expire_after_days, 7);
        assert_eq!(rules.eta.lane_window_days, 14);
        assert_eq!(rules.eta.min_samples, 5);
        assert_eq!(rules.impact.notify_chunk, 3);
    }
}
