//! Settings of the analytics service: `config/default.toml`, then `KUAIDI_ANALYTICS__...`.

use kuaidi_shared::settings::{load_service, ServiceSettings};

use crate::domain::alerts::AlertRules;
use crate::workflow::alerts::Schedule;

pub const DEFAULTS: &str = include_str!("../config/default.toml");

pub fn load() -> anyhow::Result<ServiceSettings> {
    load_service("ANALYTICS", DEFAULTS)
}

#[derive(serde::Deserialize)]
struct AlertSection<T> {
    #[serde(default)]
    alerts: T,
}

/// The early-warning job's settings (`[alerts]`, `KUAIDI_ANALYTICS__ALERTS__...`): its
/// thresholds and when it runs.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AlertSettings {
    pub rules: AlertRules,
    pub schedule: Schedule,
}

/// The early-warning settings (`[alerts]`, `KUAIDI_ANALYTICS__ALERTS__...`).
pub fn load_alerts() -> anyhow::Result<AlertSettings> {
    let rules: AlertSection<AlertRules> = kuaidi_shared::settings::load("ANALYTICS", &[DEFAULTS])?;
    let schedule: AlertSection<Schedule> = kuaidi_shared::settings::load("ANALYTICS", &[DEFAULTS])?;
    Ok(AlertSettings {
        rules: rules.alerts,
        schedule: schedule.alerts,
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_default_alert_settings_are_the_spec_defaults_checked_every_minute() {
        let alerts = super::load_alerts().expect("loads");
        assert_eq!(alerts.rules, crate::domain::alerts::AlertRules::default());
        assert_eq!(
            alerts.schedule,
            crate::workflow::alerts::Schedule::default()
        );
    }
}
