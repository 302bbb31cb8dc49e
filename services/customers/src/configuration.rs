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

/// The follow-up rules that are configuration (`[follow_ups]`).
#[derive(Debug, Clone, Copy, PartialEq, Deserialize)]
pub struct FollowUpRules {
    /// Days after a complaint closes by which the customer is called back (*default* 3).
    pub callback_days: i64,
}

impl Default for FollowUpRules {
    fn default() -> Self {
        Self { callback_days: 3 }
    }
}

/// Merges (`[merges]`).
#[derive(Debug, Clone, Copy, PartialEq, Deserialize)]
pub struct MergeRules {
    /// Days during which a merge can be undone (*default* 7).
    pub undo_days: i64,
}

impl Default for MergeRules {
    fn default() -> Self {
        Self { undo_days: 7 }
    }
}

/// How often the scheduled jobs run (`[schedule]`), in seconds.
#[derive(Debug, Clone, Copy, PartialEq, Deserialize)]
pub struct Schedule {
    /// The classification run (*default* hourly).
    pub classification_secs: u64,
    /// The care rules (key-account monthly care, birthday care, missed callbacks).
    pub care_secs: u64,
}

impl Default for Schedule {
    fn default() -> Self {
        Self {
            classification_secs: 3600,
            care_secs: 3600,
        }
    }
}

/// The customer-file rules that are configuration: classification thresholds, the
/// entitlements of each tier, follow-up and merge rules, and the jobs' schedule.
#[derive(Debug, Clone, Deserialize)]
pub struct CustomerRules {
    pub classification: Thresholds,
    pub entitlements: BTreeMap<String, Entitlements>,
    #[serde(default)]
    pub follow_ups: FollowUpRules,
    #[serde(default)]
    pub merges: MergeRules,
    #[serde(default)]
    pub schedule: Schedule,
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
            follow_ups: FollowUpRules::default(),
            merges: MergeRules::default(),
            schedule: Schedule::default(),
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
        assert_eq!(rules.follow_ups, FollowUpRules::default());
        assert_eq!(rules.merges, MergeRules::default());
        assert_eq!(rules.schedule, Schedule::default());
    }

    #[test]
    fn follow_up_merge_and_schedule_numbers_are_read_from_the_configuration() {
        let overrides = "[follow_ups]\ncallback_days = 5\n[merges]\nundo_days = 14\n\
                         [schedule]\nclassification_secs = 600\ncare_secs = 60\n";
        let rules: CustomerRules =
            kuaidi_shared::settings::load("CUSTOMERS", &[DEFAULTS, overrides]).expect("loads");
        assert_eq!(rules.follow_ups.callback_days, 5);
        assert_eq!(rules.merges.undo_days, 14);
        assert_eq!(rules.schedule.classification_secs, 600);
        assert_eq!(rules.schedule.care_secs, 60);
    }
}
