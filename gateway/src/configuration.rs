//! Settings of the gateway: `config/default.toml`, then `KUAIDI_GATEWAY__...`.

use kuaidi_shared::clock::Clock;
use kuaidi_shared::settings::{
    load, AmqpSettings, HttpSettings, JobsSettings, PiiSettings, PII_DEFAULTS,
};
use secrecy::SecretString;
use serde::Deserialize;

pub const DEFAULTS: &str = include_str!("../config/default.toml");

#[derive(Debug, Clone, Deserialize)]
pub struct JwtSettings {
    pub issuer: String,
    pub audience: String,
    pub access_ttl_secs: i64,
    /// Sliding lifetime of a refresh token (each refresh issues a new one).
    pub refresh_ttl_secs: i64,
    /// Absolute lifetime of a refresh session from its login, however often it is refreshed.
    #[serde(default = "default_session_ttl")]
    pub session_absolute_ttl_secs: i64,
    /// base64 of a 32-byte Ed25519 seed; without it a development key is generated.
    #[serde(default)]
    pub signing_key: Option<SecretString>,
    #[serde(default)]
    pub signing_kid: Option<String>,
    /// Public keys of earlier signing keys (`{kid, x}`), still published and accepted until
    /// the tokens they signed have expired (key rotation). A list of `{kid, x}` in files, or a
    /// map from the environment: `KUAIDI_GATEWAY__JWT__PREVIOUS_KEYS__<KID>=<x>` (the
    /// environment lower-cases the kid).
    #[serde(default, deserialize_with = "list_or_map")]
    pub previous_keys: Vec<kuaidi_shared::settings::StaticKey>,
}

/// `[{kid, x}, ...]` or `{kid: x, ...}`.
fn list_or_map<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<Vec<kuaidi_shared::settings::StaticKey>, D::Error> {
    use kuaidi_shared::settings::StaticKey;
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Keys {
        List(Vec<StaticKey>),
        Map(std::collections::BTreeMap<String, String>),
    }
    Ok(match Keys::deserialize(d)? {
        Keys::List(list) => list,
        Keys::Map(map) => map
            .into_iter()
            .map(|(kid, x)| StaticKey { kid, x })
            .collect(),
    })
}

fn default_session_ttl() -> i64 {
    30 * 24 * 3600
}

/// Base URLs of the services behind the gateway.
#[derive(Debug, Clone, Deserialize)]
pub struct Upstreams {
    pub customers: String,
    pub shipments: String,
    pub complaints: String,
    pub analytics: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct ProxySettings {
    pub connect_timeout_ms: u64,
    pub timeout_ms: u64,
    pub bulk_timeout_ms: u64,
    pub max_body_bytes: usize,
    /// Reads with no body on proxied paths skip actix-web's app layers
    /// (`proxy::shortcut`); off: every request takes the app's way.
    #[serde(default = "default_shortcut")]
    pub shortcut: bool,
}

fn default_shortcut() -> bool {
    true
}

#[derive(Debug, Clone, Deserialize)]
pub struct RateLimits {
    /// Requests per second per principal (burst twice that); 0 = off.
    pub per_principal: u32,
    /// Requests per second per IP on public tracking; 0 = off.
    pub public_per_ip: u32,
    /// Sign-in attempts (`/api/v1/auth/login`, `refresh`, `token`) per second per source
    /// address, with a burst of four times that; 0 = off.
    #[serde(default = "default_auth_per_address")]
    pub auth_per_address: u32,
    /// Sign-in attempts per second per username or client id, burst ten times that; 0 = off.
    #[serde(default = "default_auth_per_username")]
    pub auth_per_username: u32,
    /// Failed sign-ins an address makes in an hour before each further attempt waits a
    /// growing delay (`crate::lockout`).
    #[serde(default = "default_auth_free_failures")]
    pub auth_free_failures_per_address: u32,
}

fn default_auth_free_failures() -> u32 {
    crate::lockout::ADDRESS_FREE_FAILURES
}

fn default_auth_per_address() -> u32 {
    5
}

fn default_auth_per_username() -> u32 {
    1
}

#[derive(Debug, Clone, Deserialize, Default)]
pub struct CorsSettings {
    #[serde(default)]
    pub allowed_origins: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct IdempotencySettings {
    pub retention_hours: i64,
}

/// The audit log's retention (`[audit]`, `KUAIDI_GATEWAY__AUDIT__RETENTION_DAYS`).
#[derive(Debug, Clone, Deserialize)]
pub struct AuditSettings {
    /// Entries older than this many days are deleted (default 365).
    pub retention_days: u32,
}

#[derive(Debug, Clone, Deserialize)]
pub struct GatewaySettings {
    pub http: HttpSettings,
    pub database_url: SecretString,
    pub database_pool_size: u32,
    /// Password of the first admin, used only when the user table is empty.
    #[serde(default)]
    pub bootstrap_admin_password: Option<SecretString>,
    pub jwt: JwtSettings,
    pub services: Upstreams,
    pub proxy: ProxySettings,
    pub rate_limits: RateLimits,
    #[serde(default)]
    pub cors: CorsSettings,
    pub idempotency: IdempotencySettings,
    pub audit: AuditSettings,
    /// The broker the gateway publishes its events to (revocations of clients and API keys).
    pub amqp: AmqpSettings,
    /// Scheduling of the background jobs and the purges' batch size and period
    /// (`KUAIDI_GATEWAY__JOBS__RETENTION__BATCH_SIZE`...).
    #[serde(default)]
    pub jobs: JobsSettings,
    /// The PII keys, as the services have them: the gateway computes the phone blind index of
    /// customer tokens with the same `blind_index_key`.
    pub pii: PiiSettings,
    /// Development machine: the built-in PII keys and a generated signing key kept in the
    /// database are allowed (also `KUAIDI_DEV_MODE=1`); refused otherwise.
    #[serde(default)]
    pub dev_mode: bool,
    /// Where "now" comes from: the system clock, unless a test puts a manual one here. Not
    /// configuration (never read from files or the environment).
    #[serde(skip)]
    pub clock: Clock,
}

pub fn load_settings() -> anyhow::Result<GatewaySettings> {
    load("GATEWAY", &[PII_DEFAULTS, DEFAULTS])
}

/// The defaults alone, without the environment (tests start from these): development mode,
/// since tests run with the built-in PII keys.
pub fn defaults() -> anyhow::Result<GatewaySettings> {
    let mut settings: GatewaySettings = load("GATEWAY_UNUSED_IN_TESTS", &[PII_DEFAULTS, DEFAULTS])?;
    settings.dev_mode = true;
    Ok(settings)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn previous_keys_can_be_set_from_the_environment_as_a_map() {
        // A prefix no other test uses.
        std::env::set_var("KUAIDI_GWKEYSTEST__JWT__PREVIOUS_KEYS__K2026_10", "eEFiQw");
        let s: GatewaySettings =
            load("GWKEYSTEST", &[PII_DEFAULTS, DEFAULTS]).expect("settings load");
        assert_eq!(s.jwt.previous_keys.len(), 1);
        assert_eq!(s.jwt.previous_keys[0].kid, "k2026_10");
        assert_eq!(s.jwt.previous_keys[0].x, "eEFiQw");
    }

    #[test]
    fn previous_keys_as_a_list_still_load() {
        let toml = "[jwt]\nprevious_keys = [{ kid = \"k1\", x = \"eA\" }]\n";
        let s: GatewaySettings =
            load("GWKEYSLISTTEST", &[PII_DEFAULTS, DEFAULTS, toml]).expect("settings load");
        assert_eq!(s.jwt.previous_keys[0].kid, "k1");
    }
}
