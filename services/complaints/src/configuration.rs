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
