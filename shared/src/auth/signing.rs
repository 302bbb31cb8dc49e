//! The Ed25519 key the gateway signs tokens with (and tests forge them with), and its JWK.

use jsonwebtoken::Algorithm;
use serde::Serialize;

use super::Jwk;

/// An Ed25519 signing key with its key id: what the gateway signs with and what tests forge
/// tokens with.
#[derive(Clone)]
pub struct SigningKey {
    pub kid: String,
    seed: [u8; 32],
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigningKey")
            .field("kid", &self.kid)
            .finish_non_exhaustive()
    }
}

/// PKCS#8 v1 prefix of an Ed25519 private key (RFC 8410); the 32-byte seed follows.
const PKCS8_ED25519_PREFIX: [u8; 16] = [
    0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20,
];

impl SigningKey {
    pub fn from_seed(kid: impl Into<String>, seed: [u8; 32]) -> Self {
        Self {
            kid: kid.into(),
            seed,
        }
    }

    /// A new random key; `kid` derived from the public key.
    pub fn generate() -> Self {
        let seed: [u8; 32] = rand::random();
        let mut key = Self::from_seed("", seed);
        key.kid = key.public_x()[..16].to_owned();
        key
    }

    /// The seed, base64 (standard), for storing or configuring the key.
    pub fn seed_b64(&self) -> String {
        use base64::Engine;
        base64::engine::general_purpose::STANDARD.encode(self.seed)
    }

    pub fn from_seed_b64(kid: impl Into<String>, b64: &str) -> anyhow::Result<Self> {
        use base64::Engine;
        let bytes = base64::engine::general_purpose::STANDARD.decode(b64.trim())?;
        let seed: [u8; 32] = bytes
            .try_into()
            .map_err(|_| anyhow::anyhow!("an Ed25519 seed is 32 bytes"))?;
        Ok(Self::from_seed(kid, seed))
    }

    /// base64url of the public key, the JWK `x`.
    pub fn public_x(&self) -> String {
        use base64::Engine;
        let public = ed25519_dalek::SigningKey::from_bytes(&self.seed).verifying_key();
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(public.as_bytes())
    }

    pub fn jwk(&self) -> Jwk {
        Jwk {
            kty: "OKP".into(),
            crv: "Ed25519".into(),
            kid: self.kid.clone(),
            x: self.public_x(),
            use_: "sig".into(),
            alg: "EdDSA".into(),
        }
    }

    /// Signs `claims` as an EdDSA JWT with this key's `kid`.
    pub fn sign<T: Serialize>(&self, claims: &T) -> anyhow::Result<String> {
        let mut der = PKCS8_ED25519_PREFIX.to_vec();
        der.extend_from_slice(&self.seed);
        let key = jsonwebtoken::EncodingKey::from_ed_der(&der);
        let mut header = jsonwebtoken::Header::new(Algorithm::EdDSA);
        header.kid = Some(self.kid.clone());
        Ok(jsonwebtoken::encode(&header, claims, &key)?)
    }
}
