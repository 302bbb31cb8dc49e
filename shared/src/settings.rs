//! Layered configuration: a service's defaults file, then `KUAIDI_<SERVICE>__<KEY>` environment
//! variables (nested keys separated by `__`), then the shared `KUAIDI_AMQP_URL`.

use secrecy::SecretString;
use serde::de::DeserializeOwned;
use serde::Deserialize;

/// Loads a service's settings from its embedded defaults (TOML) and the environment.
///
/// `service` is the upper-case service name used in variables (`SHIPMENTS` reads
/// `KUAIDI_SHIPMENTS__DATABASE_URL`).
pub fn load<T: DeserializeOwned>(service: &str, defaults_toml: &[&str]) -> anyhow::Result<T> {
    let mut builder = config::Config::builder();
    for defaults in defaults_toml {
        builder = builder.add_source(config::File::from_str(defaults, config::FileFormat::Toml));
    }
    builder = builder.add_source(
        config::Environment::with_prefix(&format!("KUAIDI_{service}"))
            .prefix_separator("__")
            .separator("__")
            .try_parsing(true)
            .list_separator(",")
            .with_list_parse_key("cors.allowed_origins")
            .with_list_parse_key("http.trusted_proxies"),
    );
    if let Ok(url) = std::env::var("KUAIDI_AMQP_URL") {
        builder = builder.set_override("amqp.url", url)?;
    }
    Ok(builder.build()?.try_deserialize()?)
}

/// Where a service listens.
#[derive(Debug, Clone, Deserialize)]
pub struct HttpSettings {
    pub host: String,
    pub port: u16,
    /// Worker threads; defaults to the number of cores.
    #[serde(default)]
    pub workers: Option<usize>,
    /// The management port serving Prometheus `/metrics` (SPEC §2); see
    /// `management::metrics_port` for the defaults.
    #[serde(default)]
    pub metrics_port: Option<u16>,
    /// Proxies in front of this process (a load balancer, the Kubernetes ingress), as CIDRs
    /// (`KUAIDI_<SERVICE>__HTTP__TRUSTED_PROXIES=10.0.0.0/8,…`): a request from one of them is
    /// taken to come from the address its `X-Forwarded-For` names (see
    /// `app::client_addr`). None by default: the TCP peer is the caller.
    #[serde(default)]
    pub trusted_proxies: Vec<String>,
}

/// The broker and the names this deployment uses on it.
#[derive(Debug, Clone, Deserialize)]
pub struct AmqpSettings {
    pub url: SecretString,
    /// Topic exchange every event is published to (SPEC §7: `kuaidi.events`).
    pub exchange: String,
    /// Prefix for queue names; empty in production, unique per test.
    #[serde(default)]
    pub queue_prefix: String,
    /// Handling attempts before a message is dead-lettered.
    pub max_attempts: u32,
    /// First retry delay; doubles per attempt.
    pub retry_base_ms: u64,
    /// Unacknowledged deliveries a consumer holds at once.
    pub prefetch: u16,
    /// Declare the exchanges auto-delete (tests only: they vanish with their queues).
    #[serde(default)]
    pub exchange_auto_delete: bool,
    /// When set, queues are deleted after this long without consumers (tests only).
    #[serde(default)]
    pub queue_expires_ms: Option<u32>,
    /// How often the outbox relay looks for unpublished rows when nothing woke it.
    pub relay_poll_ms: u64,
    /// How long a relay's claim on outbox rows lasts before another relay may take them.
    pub relay_lease_ms: u64,
    /// Whether the relay declares every service's queues (`topology::SUBSCRIPTIONS`) before it
    /// publishes, so a brand-new deployment loses no event published before its consumers came
    /// up. On in every deployment; off in tests that run one service alone, where the other
    /// services' quorum queues would only cost the broker time.
    #[serde(default = "declare_topology_default")]
    pub declare_topology: bool,
}

fn declare_topology_default() -> bool {
    true
}

/// How services verify access tokens issued by the gateway.
#[derive(Debug, Clone, Deserialize, Default)]
pub struct AuthSettings {
    /// Expected `iss` claim.
    pub issuer: String,
    /// Expected `aud` claim.
    pub audience: String,
    /// The gateway's JWKS, fetched and cached (used when `public_keys` is empty).
    #[serde(default)]
    pub jwks_url: Option<String>,
    /// Ed25519 public keys as JWKs (`{"kid", "x"}`), for deployments that configure keys.
    #[serde(default)]
    pub public_keys: Vec<StaticKey>,
}

/// A configured Ed25519 verification key.
#[derive(Debug, Clone, Deserialize)]
pub struct StaticKey {
    pub kid: String,
    /// base64url (no padding) of the 32-byte public key, as in a JWK's `x`.
    pub x: String,
}

/// Keys that seal PII at rest and index it for exact search.
#[derive(Debug, Clone, Deserialize)]
pub struct PiiSettings {
    /// Key id used for new ciphertexts.
    pub active_key_id: String,
    /// `key id -> base64 of a 32-byte AES-256 key`; old ids stay to decrypt old rows.
    pub keys: std::collections::BTreeMap<String, SecretString>,
    /// base64 of the HMAC key for blind indexes (shared by all services).
    pub blind_index_key: SecretString,
}

/// What every backend service (customers, shipments, complaints, analytics) is configured with.
#[derive(Debug, Clone, Deserialize)]
pub struct ServiceSettings {
    pub http: HttpSettings,
    pub database_url: SecretString,
    pub database_pool_size: u32,
    pub amqp: AmqpSettings,
    pub auth: AuthSettings,
    pub pii: PiiSettings,
    #[serde(default)]
    pub jobs: JobsSettings,
    /// Development machine: built-in keys are allowed (see [`dev_mode`]).
    #[serde(default)]
    pub dev_mode: bool,
    /// Where "now" comes from: the system clock, unless a test puts a manual one here. Not
    /// configuration (never read from files or the environment).
    #[serde(skip)]
    pub clock: crate::clock::Clock,
}

/// Scheduling of background jobs.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct JobsSettings {
    /// When set, every job runs at this interval (ms) instead of its own period: tests use a
    /// short tick together with a manual clock, so a moved clock is seen within a tick.
    #[serde(default)]
    pub tick_ms: Option<u64>,
    /// How long the bus tables keep rows (`KUAIDI_<SERVICE>__JOBS__RETENTION__OUTBOX_DAYS`...).
    #[serde(default)]
    pub retention: crate::events::retention::RetentionSettings,
}

/// Settings every backend service starts from; the service name chooses the env prefix.
pub fn load_service(service: &str, defaults_toml: &str) -> anyhow::Result<ServiceSettings> {
    load(service, &[COMMON_DEFAULTS, PII_DEFAULTS, defaults_toml])
}

/// Defaults shared by the four backend services; each adds `[http]` and `database_url`.
pub const COMMON_DEFAULTS: &str = r#"
database_pool_size = 10

[amqp]
url = "amqp://guest:guest@127.0.0.1:5672/%2f"
exchange = "kuaidi.events"
queue_prefix = ""
max_attempts = 5
retry_base_ms = 1000
prefetch = 64
relay_poll_ms = 100
relay_lease_ms = 30000

[auth]
issuer = "kuaidi-gateway"
audience = "kuaidi"
jwks_url = "http://127.0.0.1:8080/.well-known/jwks.json"
"#;

/// The built-in development PII key (in [`PII_DEFAULTS`]).
pub const DEV_PII_KEY: &str = "ZGV2LW9ubHkta2V5LWRvLW5vdC11c2UtaW4tcHJvZCE=";
/// The built-in development blind-index key (in [`PII_DEFAULTS`]).
pub const DEV_BLIND_INDEX_KEY: &str = "ZGV2LW9ubHktYmxpbmQtaW5kZXgta2V5LWNoYW5nZSE=";

/// Whether built-in development keys may be used: the process's `dev_mode` setting
/// (`KUAIDI_<SERVICE>__DEV_MODE=true`) or `KUAIDI_DEV_MODE=1` for every process (`make run`).
pub fn dev_mode(setting: bool) -> bool {
    setting || std::env::var("KUAIDI_DEV_MODE").is_ok_and(|v| matches!(v.as_str(), "1" | "true"))
}

/// Refuses to start with the built-in PII keys unless in development mode, where it warns.
pub fn check_pii_keys(pii: &PiiSettings, dev_mode: bool) -> anyhow::Result<()> {
    use secrecy::ExposeSecret;
    // Only the keys in use count: the defaults' `dev1` stays in the key ring (configuration
    // merges maps, the environment cannot remove it), where it only opens data sealed with it.
    let builtin = pii.blind_index_key.expose_secret() == DEV_BLIND_INDEX_KEY
        || pii
            .keys
            .get(&pii.active_key_id)
            .is_some_and(|k| k.expose_secret() == DEV_PII_KEY);
    if !builtin {
        return Ok(());
    }
    anyhow::ensure!(
        dev_mode,
        "the built-in development PII keys are configured: set pii.keys and pii.blind_index_key \
         from the secret store, or KUAIDI_DEV_MODE=1 on a development machine"
    );
    tracing::warn!("development mode: using the built-in PII keys (never in production)");
    Ok(())
}

/// The PII keys' defaults, shared by the services and the gateway (which computes the phone
/// blind index of customer tokens, so it must hold the very key the services index with).
pub const PII_DEFAULTS: &str = r#"
[pii]
active_key_id = "dev1"
# Development keys only: production sets KUAIDI_<SERVICE>__PII__KEYS__<ID> and
# KUAIDI_<SERVICE>__PII__BLIND_INDEX_KEY from its secret store.
keys = { dev1 = "ZGV2LW9ubHkta2V5LWRvLW5vdC11c2UtaW4tcHJvZCE=" }
blind_index_key = "ZGV2LW9ubHktYmxpbmQtaW5kZXgta2V5LWNoYW5nZSE="
"#;

#[cfg(test)]
mod tests {
    use super::*;
    use secrecy::ExposeSecret;

    #[test]
    fn built_in_pii_keys_are_refused_outside_development_mode() {
        let pii = |key: &str, blind: &str| PiiSettings {
            active_key_id: "k".into(),
            keys: [("k".to_owned(), key.to_owned().into())].into(),
            blind_index_key: blind.to_owned().into(),
        };
        let own = "b3duLWtleS1vZi10aGlzLWRlcGxveW1lbnQtMzJieXRlcz0=";
        assert!(PII_DEFAULTS.contains(DEV_PII_KEY) && PII_DEFAULTS.contains(DEV_BLIND_INDEX_KEY));
        assert!(check_pii_keys(&pii(DEV_PII_KEY, own), false).is_err());
        assert!(check_pii_keys(&pii(own, DEV_BLIND_INDEX_KEY), false).is_err());
        assert!(check_pii_keys(&pii(DEV_PII_KEY, DEV_BLIND_INDEX_KEY), true).is_ok());
        assert!(check_pii_keys(&pii(own, own), false).is_ok());
        // The defaults' dev1 stays in the ring beside a real active key: that is production.
        let mut rotated = pii(own, own);
        rotated
            .keys
            .insert("dev1".to_owned(), DEV_PII_KEY.to_owned().into());
        assert!(
            check_pii_keys(&rotated, false).is_ok(),
            "a retired built-in key left in the ring must not block a real deployment"
        );
    }

    #[test]
    fn environment_overrides_nested_defaults() {
        // SAFETY of the test: a variable name no other test uses.
        std::env::set_var("KUAIDI_SETTINGSTEST__AMQP__MAX_ATTEMPTS", "7");
        let s = load_service(
            "SETTINGSTEST",
            "database_url = \"postgres://x\"\n[http]\nhost = \"127.0.0.1\"\nport = 1\n",
        )
        .expect("settings load");
        assert_eq!(s.amqp.max_attempts, 7, "env var must override the default");
        assert_eq!(s.amqp.exchange, "kuaidi.events");
        assert_eq!(s.database_url.expose_secret(), "postgres://x");
    }
}
