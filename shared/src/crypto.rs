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

    /// Mainland notations and what `normalise_phone` answered for them before foreign numbers
    /// kept their country code: every existing blind index was computed from these, so none
    /// of them may move.
    const MAINLAND_PINNED: &[(&str, Option<&str>)] = &[
        ("13812345678", Some("13812345678")),
        (" 13812345678 ", Some("13812345678")),
        ("138 1234 5678", Some("13812345678")),
        ("138-1234-5678", Some("13812345678")),
        ("138.1234.5678", Some("13812345678")),
        ("tel:13812345678", Some("13812345678")),
        ("13125553073", Some("13125553073")),
        ("131 2555 7071", Some("13125557071")),
        ("+86 138-1234-5678", Some("13812345678")),
        ("+8613812345678", Some("13812345678")),
        ("+86 (138) 1234 5678", Some("13812345678")),
        ("+86-138-1234-5678", Some("13812345678")),
        ("(+86) 138 1234 5678", Some("13812345678")),
        ("0086 138 1234 5678", Some("13812345678")),
        ("008613812345678", Some("13812345678")),
        ("+0086 138 1234 5678", Some("13812345678")),
        ("8613812345678", Some("13812345678")),
        ("86 138 1234 5678", Some("13812345678")),
        ("(010) 1234 5678", Some("01012345678")),
        ("010-12345678", Some("01012345678")),
        ("0755-8765 4321", Some("075587654321")),
        ("+86 10 1234 5678", Some("861012345678")),
        ("86 10 1234 5678", Some("861012345678")),
        ("+86 010 1234 5678", Some("01012345678")),
        ("+86 (0)10 1234 5678", Some("01012345678")),
        ("0086 10 1234 5678", Some("1012345678")),
        ("+86 755 8765 4321", Some("75587654321")),
        ("+86 12345", Some("8612345")),
        ("+86 138 1234 56789", Some("86138123456789")),
        ("12345678", Some("12345678")),
        ("8765 4321", Some("87654321")),
        ("400-820-8820", Some("4008208820")),
        ("123456", Some("123456")),
        ("852 9123 4567", Some("85291234567")),
        ("1 312 555 3073", Some("13125553073")),
        ("95554", None),
        ("10086", None),
        ("0086", None),
        ("+86", None),
        ("1381234567890123", None),
        ("+86 138 1234 5678 转 123", None),
        ("", None),
        ("abc", None),
    ];

    #[test]
    fn mainland_notations_keep_the_normalised_form_existing_indexes_use() {
        for (raw, expected) in MAINLAND_PINNED {
            assert_eq!(
                normalise_phone(raw).as_deref(),
                *expected,
                "normalise_phone({raw:?}) moved"
            );
        }
    }

    #[test]
    fn a_foreign_number_keeps_its_country_code_and_never_equals_a_mainland_one() {
        let c = PiiCipher::new(&settings("k1")).expect("cipher");
        // The probe: the Chicago numbers were read as the mainland mobiles 131 2555 3073/7071.
        for (foreign, mainland) in [
            ("+1 (312) 555-3073", "131 2555 3073"),
            ("+1 (312) 555-7071", "131 2555 7071"),
        ] {
            let f = normalise_phone(foreign).expect("valid");
            let m = normalise_phone(mainland).expect("valid");
            assert_ne!(f, m, "{foreign} vs {mainland}");
            assert_ne!(c.blind_index(&f), c.blind_index(&m));
        }
        // Each notation of one foreign number is one E.164 value (and one index).
        for (notations, e164) in [
            (
                &[
                    "+1 (312) 555-3073",
                    "+13125553073",
                    "+1-312-555-3073",
                    "(+1) 312 555 3073",
                    "001 312 555 3073",
                    "0013125553073",
                    "+001 312 555 3073",
                    "tel:+1.312.555.3073",
                ][..],
                "+13125553073",
            ),
            (
                &["+852 9123 4567", "00852 9123 4567", "+852-91234567"][..],
                "+85291234567",
            ),
            (
                &[
                    "+44 (0)20 7946 0958",
                    "+44 20 7946 0958",
                    "0044 20 7946 0958",
                ][..],
                "+442079460958",
            ),
            (
                &["+886 2 2345 6789", "00886 2 2345 6789"][..],
                "+886223456789",
            ),
            (&["+683 4002"][..], "+6834002"),
        ] {
            for raw in notations {
                assert_eq!(normalise_phone(raw).as_deref(), Some(e164), "{raw:?}");
            }
        }
        // Too short or too long for E.164, or no country code after the prefix.
        for raw in [
            "+1 555",
            "+12345",
            "001 234",
            "+1 312 555 3073 4567 89",
            "00 0 312 555 3073",
            "+0 312 555 3073",
            "000 312 555 3073",
            "+",
            "00",
        ] {
            assert_eq!(normalise_phone(raw), None, "{raw:?}");
        }
    }

    #[test]
    fn a_phone_mask_hides_at_least_four_characters() {
        assert_eq!(mask_phone("13812345678"), "138****5678");
        assert_eq!(mask_phone("+13125553073"), "+13****3073");
        assert_eq!(mask_phone("+85291234567"), "+85****4567");
        assert_eq!(mask_phone("01012345678"), "010****5678");
        assert_eq!(mask_phone("4008208820"), "40****8820");
        assert_eq!(mask_phone("12345678"), "****5678");
        assert_eq!(mask_phone("1234567"), "****");
        assert_eq!(mask_phone("123456"), "****");
        assert_eq!(mask_phone(""), "****");
        // The raw notation of a recipient (shipments masks it as written).
        assert_eq!(mask_phone("+1 (312) 555-3073"), "+1 ****3073");
        assert_eq!(mask_phone("+86 138-1234-5678"), "+86****5678");
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
