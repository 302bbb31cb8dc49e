//! Settings of the customers service: `config/default.toml`, then `KUAIDI_CUSTOMERS__...`.

use kuaidi_shared::settings::{load_service, ServiceSettings};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::sync::LazyLock;
use utoipa::ToSchema;

use crate::domain::classification::Thresholds;

pub const DEFAULTS: &str = include_str!("../config/default.toml");

pub fn load() -> anyhow::Result<ServiceSettings> {
    load_service("CUSTOMERS", DEFAULTS)
}

/// What a value tier is entitled to (configuration, SPEC §4).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Entitlements {
    pub dedicated_representative: bool,
    pub fast_lane_complaints: bool,
    pub freight_discount_pct: f64,
}

/// The customer-file rules that are configuration: classification thresholds and the
/// entitlements of each tier.
#[derive(Debug, Clone, Deserialize)]
pub struct CustomerRules {
    pub classification: Thresholds,
    pub entitlements: BTreeMap<String, Entitlements>,
}

/// Loads `[classification]` and `[entitlements]` from the defaults and the environment.
pub fn load_rules() -> anyhow::Result<CustomerRules> {
    kuaidi_shared::settings::load("CUSTOMERS", &[DEFAULTS])
}

/// The rules in force, loaded once; the built-in defaults when the environment is invalid
/// (reported in the log at start-up by [`load_rules`]).
pub static RULES: LazyLock<CustomerRules> = LazyLock::new(|| {
    load_rules().unwrap_or_else(|e| {
        tracing::error!(error = %e, "invalid customer rules in the environment; using defaults");
        CustomerRules {
            classification: Thresholds::DEFAULT,
            entitlements: BTreeMap::new(),
        }
    })
});

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_defaults_hold_the_spec_thresholds_and_every_tier() {
        let rules = load_rules().expect("defaults load");
        assert_eq!(rules.classification.drop_pct, Thresholds::DEFAULT.drop_pct);
        assert!(rules.entitlements["key"].dedicated_representative);
        assert_eq!(rules.entitlements.len(), 3);
    }
}
