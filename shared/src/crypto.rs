//! PII at rest (SPEC §4): AES-256-GCM with the key id stored beside each ciphertext so keys can
//! rotate, a keyed blind index (HMAC-SHA256 of the normalised value) for exact search, and the
//! masks shown to callers without the right to see PII.

use aes_gcm::aead::{Aead, KeyInit};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::Engine;
use hmac::{Hmac, Mac};
use secrecy::ExposeSecret;
use serde::de::DeserializeOwned;
use serde::Serialize;
use sha2::Sha256;
use std::collections::HashMap;

use crate::settings::PiiSettings;

/// Seals and opens PII; cheap to clone behind an `Arc`.
pub struct PiiCipher {
    active: String,
    keys: HashMap<String, Aes256Gcm>,
    blind_key: Vec<u8>,
}

impl std::fmt::Debug for PiiCipher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PiiCipher")
            .field("active", &self.active)
            .finish_non_exhaustive()
    }
}

fn b64(s: &str) -> anyhow::Result<Vec<u8>> {
    Ok(base64::engine::general_purpose::STANDARD.decode(s.trim())?)
}

impl PiiCipher {
    pub fn new(settings: &PiiSettings) -> anyhow::Result<Self> {
        let mut keys = HashMap::new();
        for (id, key) in &settings.keys {
            anyhow::ensure!(id.len() < 64, "PII key id {id:?} too long");
            let bytes = b64(key.expose_secret())?;
            anyhow::ensure!(bytes.len() == 32, "PII key {id:?} must be 32 bytes");
            keys.insert(
                id.clone(),
                Aes256Gcm::new_from_slice(&bytes).map_err(|e| anyhow::anyhow!("{e}"))?,
            );
        }
        anyhow::ensure!(
            keys.contains_key(&settings.active_key_id),
            "active PII key {:?} is not configured",
            settings.active_key_id
        );
        let blind_key = b64(settings.blind_index_key.expose_secret())?;
        anyhow::ensure!(blind_key.len() >= 16, "blind index key too short");
        Ok(Self {
            active: settings.active_key_id.clone(),
            keys,
            blind_key,
        })
    }

    /// `len(kid) | kid | nonce(12) | ciphertext+tag`.
    pub fn seal(&self, plaintext: &[u8]) -> Vec<u8> {
        let nonce_bytes: [u8; 12] = rand::random();
        let cipher = &self.keys[&self.active];
        // Encryption with a valid key and a 12-byte nonce cannot fail.
        let ct = cipher
            .encrypt(&Nonce::from(nonce_bytes), plaintext)
            .unwrap_or_default();
        let mut out = Vec::with_capacity(1 + self.active.len() + 12 + ct.len());
        out.push(self.active.len() as u8);
        out.extend_from_slice(self.active.as_bytes());
        out.extend_from_slice(&nonce_bytes);
        out.extend_from_slice(&ct);
        out
    }

    pub fn open(&self, sealed: &[u8]) -> anyhow::Result<Vec<u8>> {
        let (&kid_len, rest) = sealed
            .split_first()
            .ok_or_else(|| anyhow::anyhow!("empty ciphertext"))?;
        let kid_len = usize::from(kid_len);
        anyhow::ensure!(rest.len() > kid_len + 12, "ciphertext truncated");
        let kid = std::str::from_utf8(&rest[..kid_len])?;
        let cipher = self
            .keys
            .get(kid)
            .ok_or_else(|| anyhow::anyhow!("unknown PII key id {kid:?}"))?;
        let nonce: [u8; 12] = rest[kid_len..kid_len + 12].try_into()?;
        cipher
            .decrypt(&Nonce::from(nonce), &rest[kid_len + 12..])
            .map_err(|_| anyhow::anyhow!("PII ciphertext failed authentication"))
    }

    pub fn seal_json<T: Serialize>(&self, value: &T) -> Vec<u8> {
        self.seal(&serde_json::to_vec(value).unwrap_or_default())
    }

    pub fn open_json<T: DeserializeOwned>(&self, sealed: &[u8]) -> anyhow::Result<T> {
        Ok(serde_json::from_slice(&self.open(sealed)?)?)
    }

    /// Keyed blind index of an already normalised value (hex HMAC-SHA256).
    pub fn blind_index(&self, normalised: &str) -> String {
        // HMAC accepts keys of any length.
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.blind_key)
            .unwrap_or_else(|_| unreachable!("HMAC takes any key length"));
        mac.update(normalised.as_bytes());
        hex::encode(mac.finalize().into_bytes())
    }
}

/// Digits only, without a leading `+86`/`0086`/`86` country code for 13-digit mainland numbers.
pub fn normalise_phone(raw: &str) -> Option<String> {
    let digits: String = raw.chars().filter(char::is_ascii_digit).collect();
    let digits = digits
        .strip_prefix("0086")
        .or_else(|| {
            (digits.len() == 13)
                .then(|| digits.strip_prefix("86"))
                .flatten()
        })
        .unwrap_or(&digits)
        .to_owned();
    (6..=15).contains(&digits.len()).then_some(digits)
}

/// Lower-cased, trimmed; `None` unless it looks like `local@domain.tld`.
pub fn normalise_email(raw: &str) -> Option<String> {
    let e = raw.trim().to_lowercase();
    let (local, domain) = e.split_once('@')?;
    (!local.is_empty() && domain.contains('.') && !domain.starts_with('.') && !e.contains(' '))
        .then_some(e)
}

/// `13812345678` → `138****5678`.
pub fn mask_phone(phone: &str) -> String {
    let chars: Vec<char> = phone.chars().collect();
    if chars.len() < 7 {
        return "****".into();
    }
    let head: String = chars[..3].iter().collect();
    let tail: String = chars[chars.len() - 4..].iter().collect();
    format!("{head}****{tail}")
}

/// `zhang@example.com` → `z***@example.com`.
pub fn mask_email(email: &str) -> String {
    match email.split_once('@') {
        Some((local, domain)) => {
            let first: String = local.chars().take(1).collect();
            format!("{first}***@{domain}")
        }
        None => "***".into(),
    }
}

/// `张三丰` → `张**`; `Li Lei` → `L*****`.
pub fn mask_name(name: &str) -> String {
    let mut chars = name.chars();
    match chars.next() {
        Some(first) => std::iter::once(first).chain(chars.map(|_| '*')).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn settings(active: &str) -> PiiSettings {
        let mut keys = BTreeMap::new();
        keys.insert(
            "k1".to_owned(),
            base64::engine::general_purpose::STANDARD
                .encode([1u8; 32])
                .into(),
        );
        keys.insert(
            "k2".to_owned(),
            base64::engine::general_purpose::STANDARD
                .encode([2u8; 32])
                .into(),
        );
        PiiSettings {
            active_key_id: active.into(),
            keys,
            blind_index_key: base64::engine::general_purpose::STANDARD
                .encode([9u8; 32])
                .into(),
        }
    }

    #[test]
    fn sealed_pii_opens_after_the_active_key_rotates() {
        let old = PiiCipher::new(&settings("k1")).expect("cipher");
        let sealed = old.seal(b"13812345678");
        assert!(
            !sealed.windows(11).any(|w| w == b"13812345678"),
            "plaintext visible"
        );
        let rotated = PiiCipher::new(&settings("k2")).expect("cipher");
        assert_eq!(rotated.open(&sealed).expect("opens"), b"13812345678");
        assert_eq!(rotated.seal(b"x")[1..3], *b"k2");
    }

    #[test]
    fn tampered_ciphertext_is_refused() {
        let c = PiiCipher::new(&settings("k1")).expect("cipher");
        let mut sealed = c.seal(b"secret");
        let last = sealed.len() - 1;
        sealed[last] ^= 1;
        assert!(c.open(&sealed).is_err());
    }

    #[test]
    fn blind_index_matches_equal_normalised_phones_only() {
        let c = PiiCipher::new(&settings("k1")).expect("cipher");
        let a = normalise_phone("+86 138-1234-5678").expect("valid");
        let b = normalise_phone("13812345678").expect("valid");
        assert_eq!(c.blind_index(&a), c.blind_index(&b));
        assert_ne!(c.blind_index(&a), c.blind_index("13812345679"));
    }

    #[test]
    fn masks_follow_the_spec_examples() {
        assert_eq!(mask_phone("13812345678"), "138****5678");
        assert_eq!(mask_email("zhang@example.com"), "z***@example.com");
        assert_eq!(mask_name("张三丰"), "张**");
        assert_eq!(
            normalise_email(" Z@Example.com "),
            Some("z@example.com".into())
        );
        assert_eq!(normalise_email("nope"), None);
    }
}
