//! The PII cipher's and the normalisers' unit tests.

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
