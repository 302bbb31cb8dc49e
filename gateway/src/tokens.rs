//! Issuing access and refresh tokens.

use base64::Engine;
use chrono::{DateTime, Duration, Utc};
use kuaidi_shared::auth::{Claims, Role};
use kuaidi_shared::clock::Clock;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::configuration::JwtSettings;
use crate::keys::KeyRing;

/// Who a token is for.
pub struct Subject {
    pub sub: String,
    pub role: Role,
    pub scopes: Vec<String>,
    pub merchant_id: Option<Uuid>,
    /// The blind index of an end customer's phone (role `customer` only).
    pub phone_hash: Option<String>,
    /// A staff user's sessions last ended then: the token is dated after it.
    pub issued_after: Option<DateTime<Utc>>,
}

impl Subject {
    /// A staff user, a client or an API key: no phone.
    pub fn new(sub: String, role: Role, scopes: Vec<String>, merchant_id: Option<Uuid>) -> Self {
        Self {
            sub,
            role,
            scopes,
            merchant_id,
            phone_hash: None,
            issued_after: None,
        }
    }

    /// A staff user (their id is the `sub`), whose sessions last ended at `sessions_ended_at`.
    pub fn staff(id: Uuid, role: Role, sessions_ended_at: Option<DateTime<Utc>>) -> Self {
        Self {
            issued_after: sessions_ended_at,
            ..Self::new(id.to_string(), role, Vec::new(), None)
        }
    }

    /// An end customer acting through the app, known only by the blind index of their phone.
    pub fn customer(phone_hash: String) -> Self {
        Self {
            sub: format!("customer:{phone_hash}"),
            role: Role::Customer,
            scopes: Vec::new(),
            merchant_id: None,
            phone_hash: Some(phone_hash),
            issued_after: None,
        }
    }
}

/// Signs access tokens: the gateway's key ring, its JWT settings and its clock.
#[derive(Clone)]
pub struct Signer {
    pub keys: KeyRing,
    pub jwt: JwtSettings,
    pub clock: Clock,
}

impl Signer {
    /// An access token for `subject`, valid from now for `ttl_secs`.
    pub fn sign(&self, subject: &Subject, ttl_secs: i64) -> anyhow::Result<String> {
        access_token(&self.keys, &self.jwt, subject, self.clock.now(), ttl_secs)
    }

    /// An access token for `subject` with the configured lifetime.
    pub fn access_token(&self, subject: &Subject) -> anyhow::Result<String> {
        self.sign(subject, self.jwt.access_ttl_secs)
    }
}

/// Signs an access token for `subject`, valid from `now` for `ttl_secs`.
pub fn access_token(
    keys: &KeyRing,
    jwt: &JwtSettings,
    subject: &Subject,
    now: DateTime<Utc>,
    ttl_secs: i64,
) -> anyhow::Result<String> {
    // `iat` is in whole seconds, and a user's tokens issued up to the second their sessions
    // ended are refused: one issued in that very second (signed in again at once) is dated
    // the next.
    let iat = match subject.issued_after {
        Some(ended) => now.timestamp().max(ended.timestamp() + 1),
        None => now.timestamp(),
    };
    keys.active.sign(&Claims {
        sub: subject.sub.clone(),
        role: subject.role,
        scopes: subject.scopes.clone(),
        merchant_id: subject.merchant_id,
        phone_hash: subject.phone_hash.clone(),
        iss: jwt.issuer.clone(),
        aud: jwt.audience.clone(),
        iat,
        nbf: Some(iat),
        exp: (now + Duration::seconds(ttl_secs)).timestamp(),
        jti: Uuid::new_v4().to_string(),
    })
}

/// A new high-entropy secret: 32 random bytes, URL-safe base64 (refresh tokens, client
/// secrets, API keys).
pub fn secret() -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(rand::random::<[u8; 32]>())
}

/// A new opaque refresh token and the digest stored for it.
pub fn refresh_token() -> (String, String) {
    let token = secret();
    let digest = digest(&token);
    (token, digest)
}

/// SHA-256 (hex) of a high-entropy secret: enough for random tokens, unlike passwords.
pub fn digest(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}
