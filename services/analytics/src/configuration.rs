//! Settings of the analytics service: `config/default.toml`, then `KUAIDI_ANALYTICS__...`.

use kuaidi_shared::settings::{load_service, ServiceSettings};

use crate::domain::alerts::AlertRules;

pub const DEFAULTS: &str = include_str!("../config/default.toml");

pub fn load() -> anyhow::Result<ServiceSettings> {
    load_service("ANALYTICS", DEFAULTS)
}

#[derive(serde::Deserialize)]
struct AlertSection {
    #[serde(default)]
    alerts: AlertRules,
}

/// The early-warning thresholds (`[alerts]`, `KUAIDI_ANALYTICS__ALERTS__...`).
pub fn load_alert_rules() -> anyhow::Result<AlertRules> {
    let section: AlertSection = kuaidi_shared::settings::load("ANALYTICS", &[DEFAULTS])?;
    Ok(section.alerts)
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_default_alert_rules_are_the_spec_defaults() {
        let rules = super::load_alert_rules().expect("loads");
        assert_eq!(rules, crate::domain::alerts::AlertRules::default());
    }
}
