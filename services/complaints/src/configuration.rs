//! Settings of the complaints service: `config/default.toml`, then `KUAIDI_COMPLAINTS__...`.

use kuaidi_shared::settings::{load_service, ServiceSettings};

pub const DEFAULTS: &str = include_str!("../config/default.toml");

pub fn load() -> anyhow::Result<ServiceSettings> {
    load_service("COMPLAINTS", DEFAULTS)
}

/// Evidence uploads (`[evidence]`, `KUAIDI_COMPLAINTS__EVIDENCE__...`).
#[derive(Debug, Clone, serde::Deserialize)]
pub struct EvidenceSettings {
    /// Largest upload accepted (*default* 10 MB); larger is 413.
    pub max_bytes: usize,
    /// Content types accepted for uploads; others are 415.
    pub content_types: Vec<String>,
}

#[derive(serde::Deserialize)]
struct EvidenceSection {
    evidence: EvidenceSettings,
}

/// Loads the `[evidence]` section from the same defaults and environment as [`load`].
pub fn load_evidence() -> anyhow::Result<EvidenceSettings> {
    let section: EvidenceSection = kuaidi_shared::settings::load("COMPLAINTS", &[DEFAULTS])?;
    Ok(section.evidence)
}

/// The numbers SPEC §6 marks *default* (`[sla]`, `[intake]`, `[claims]`,
/// `KUAIDI_COMPLAINTS__<SECTION>__<KEY>`), handed to the workflows that apply them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize)]
pub struct Rules {
    pub sla: SlaRules,
    pub intake: IntakeRules,
    pub claims: ClaimRules,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize)]
pub struct SlaRules {
    /// Share of an allowance after which the sweep warns (*default* 80 %).
    pub warn_percent: u32,
    /// How often the SLA sweep runs (*default* 60 s).
    pub sweep_interval_seconds: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize)]
pub struct IntakeRules {
    /// The same customer, tracking number and category within this window is one case
    /// (*default* 24 h).
    pub dedup_window_hours: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize)]
pub struct ClaimRules {
    /// Uninsured loss or damage is paid up to this multiple of the freight (*default* 3).
    pub freight_multiple: u32,
    /// A claim unsettled this many days after filing escalates (*default* 30).
    pub ageing_days: u32,
}

impl Rules {
    /// Refuses values no rule can work with.
    pub fn checked(self) -> anyhow::Result<Self> {
        anyhow::ensure!(
            (1..=100).contains(&self.sla.warn_percent),
            "sla.warn_percent must be within 1–100"
        );
        anyhow::ensure!(
            self.sla.sweep_interval_seconds >= 1,
            "sla.sweep_interval_seconds must be at least 1"
        );
        anyhow::ensure!(
            self.claims.ageing_days >= 1,
            "claims.ageing_days must be at least 1"
        );
        Ok(self)
    }

    /// The SLA sweep's period.
    pub fn sweep_interval(&self) -> std::time::Duration {
        std::time::Duration::from_secs(self.sla.sweep_interval_seconds)
    }

    /// The dedup window at intake.
    pub fn dedup_window(&self) -> chrono::Duration {
        chrono::Duration::hours(i64::from(self.intake.dedup_window_hours))
    }

    /// How long a claim may stay unsettled.
    pub fn claim_ageing(&self) -> chrono::Duration {
        chrono::Duration::days(i64::from(self.claims.ageing_days))
    }
}

/// Loads the rules from the same defaults and environment as [`load`].
pub fn load_rules() -> anyhow::Result<Rules> {
    kuaidi_shared::settings::load::<Rules>("COMPLAINTS", &[DEFAULTS])?.checked()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_rules_default_to_the_specs_numbers() {
        let r = load_rules().expect("the defaults load");
        assert_eq!(r.sla.warn_percent, 80);
        assert_eq!(r.sweep_interval(), std::time::Duration::from_secs(60));
        assert_eq!(r.dedup_window(), chrono::Duration::hours(24));
        assert_eq!(r.claims.freight_multiple, 3);
        assert_eq!(r.claim_ageing(), chrono::Duration::days(30));
    }

    #[test]
    fn a_warning_past_the_deadline_is_refused() {
        let mut r = load_rules().expect("the defaults load");
        r.sla.warn_percent = 120;
        assert!(r.checked().is_err());
    }
}
