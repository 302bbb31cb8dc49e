//! Settings of the analytics service: `config/default.toml`, then `KUAIDI_ANALYTICS__...`.

use kuaidi_shared::settings::{load_service, ServiceSettings};

pub const DEFAULTS: &str = include_str!("../config/default.toml");

pub fn load() -> anyhow::Result<ServiceSettings> {
    load_service("ANALYTICS", DEFAULTS)
}
