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

/// The form a phone is stored, shown and blind-indexed in (SPEC §4), `None` for what is not
/// a phone number.
///
/// * **Mainland China** — a number written without an international prefix (a bare national
///   number: `13812345678`, `138 1234 5678`, `(010) 1234 5678`), or with the prefix of China
///   (`+86 …`, `0086 …`, `+0086 …`, or `86` before an 11-digit mobile) — keeps the form it has
///   always had, on which every existing blind index rests: its digits only, with a leading
///   `0086`, or the `86` of a 13-digit number, taken off (`+86 138-1234-5678` →
///   `13812345678`). A `+86` landline keeps that form's quirks: `+86 10 1234 5678` →
///   `861012345678`, `+86 010 1234 5678` → `01012345678`. Between 6 and 15 digits.
/// * **Any other country** — a number written with an international prefix, `+<cc>` (a `+`
///   before its first digit, also `(+1)`) or `00<cc>` (`+00<cc>` too), whose country code is not
///   86 — is E.164: `+`, the country code and the national digits, without punctuation:
///   `+1 (312) 555-3073` and `001 312 555 3073` → `+13125553073`, `+852 9123 4567` and
///   `00852 9123 4567` → `+85291234567`. A trunk `(0)` written after the country code is
///   dropped (`+44 (0)20 7946 0958` → `+442079460958`). It never becomes a bare national
///   number, so it never equals a mainland number (`+1 312 555 3073` is not `131 2555 3073`).
///   Between 7 and 15 digits after the `+` (E.164's bounds), the first not `0`.
///
/// Digits with no prefix are read as a mainland national number, whatever country they were
/// meant for: `1 312 555 3073` is `13125553073`; callers keep a foreign number apart only by
/// writing its prefix. Any other character (letters, `tel:`, spaces, dashes, dots, brackets) is
/// ignored.
pub fn normalise_phone(raw: &str) -> Option<String> {
    let digits: String = raw.chars().filter(char::is_ascii_digit).collect();
    // A `+` before the first digit, or a leading `00`, says that a country code follows.
    let plus = raw
        .chars()
        .take_while(|c| !c.is_ascii_digit())
        .any(|c| c == '+');
    let after_prefix = if plus {
        Some(digits.strip_prefix("00").unwrap_or(&digits))
    } else {
        digits.strip_prefix("00")
    };
    match after_prefix {
        Some(international) if !international.starts_with("86") => {
            normalise_foreign_phone(raw, plus)
        }
        _ => normalise_mainland_phone(&digits),
    }
}

/// The mainland form, unchanged since the first blind index: digits only, without a leading
/// `0086`, or the `86` of 13 digits.
fn normalise_mainland_phone(digits: &str) -> Option<String> {
    let national = digits
        .strip_prefix("0086")
        .or_else(|| {
            (digits.len() == 13)
                .then(|| digits.strip_prefix("86"))
                .flatten()
        })
        .unwrap_or(digits);
    (6..=15)
        .contains(&national.len())
        .then(|| national.to_owned())
}

/// E.164 of a number written with an international prefix other than China's.
fn normalise_foreign_phone(raw: &str, plus: bool) -> Option<String> {
    let digits: String = raw
        .replace("(0)", "")
        .chars()
        .filter(char::is_ascii_digit)
        .collect();
    let e164 = if plus {
        digits.strip_prefix("00").unwrap_or(&digits)
    } else {
        digits.strip_prefix("00")?
    };
    (!e164.starts_with('0') && (7..=15).contains(&e164.len())).then(|| format!("+{e164}"))
}

/// Lower-cased, trimmed; `None` unless it looks like `local@domain.tld`.
pub fn normalise_email(raw: &str) -> Option<String> {
    let e = raw.trim().to_lowercase();
    let (local, domain) = e.split_once('@')?;
    (!local.is_empty() && domain.contains('.') && !domain.starts_with('.') && !e.contains(' '))
        .then_some(e)
}

/// `13812345678` → `138****5678`, `+13125553073` → `+13****3073`: the first three characters,
/// `****`, the last four — and at least four characters always hidden, so a shorter number
/// shows less of its head (`12345678` → `****5678`) and one under 8 characters nothing
/// (`****`).
pub fn mask_phone(phone: &str) -> String {
    let chars: Vec<char> = phone.chars().collect();
    if chars.len() < 8 {
        return "****".into();
    }
    let head: String = chars[..(chars.len() - 8).min(3)].iter().collect();
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
mod tests;
