//! Issuing access and refresh tokens.

use base64::Engine;
use chrono::{DateTime, Duration, Utc};
use kuaidi_shared::auth::{Claims, Role};
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
}

/// Signs an access token for `subject`, valid from `now` for the configured TTL.
pub fn access_token(
    keys: &KeyRing,
    jwt: &JwtSettings,
    subject: &Subject,
    now: DateTime<Utc>,
) -> anyhow::Result<String> {
    keys.active.sign(&Claims {
        sub: subject.sub.clone(),
        role: subject.role,
        scopes: subject.scopes.clone(),
        merchant_id: subject.merchant_id,
        phone_hash: None,
        iss: jwt.issuer.clone(),
        aud: jwt.audience.clone(),
        iat: now.timestamp(),
        nbf: Some(now.timestamp()),
        exp: (now + Duration::seconds(jwt.access_ttl_secs)).timestamp(),
        jti: Uuid::new_v4().to_string(),
    })
}

/// A new opaque refresh token and the digest stored for it.
pub fn refresh_token() -> (String, String) {
    let bytes: [u8; 32] = rand::random();
    let token = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes);
    let digest = digest(&token);
    (token, digest)
}

/// SHA-256 (hex) of a high-entropy secret: enough for random tokens, unlike passwords.
pub fn digest(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}
