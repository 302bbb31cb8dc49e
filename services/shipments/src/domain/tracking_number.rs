//! Tracking numbers. Kuaidi generates UPU S10 numbers (`KD` + 8-digit serial + check digit +
//! `CN`); the check digit is a property of the numbers Kuaidi generates. Numbers supplied by
//! callers come from any carrier and are accepted in its format — letters and digits, with `-`
//! as a separator — without checking any check digit: an S10-shaped number of another carrier
//! need not follow UPU's rule.

use std::fmt;

/// A validated tracking number: upper-case, 8–40 characters of A–Z, 0–9 and `-`, beginning and
/// ending with a letter or digit, with no two `-` in a row (so it is one URL path segment as is).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TrackingNumber(String);

const S10_WEIGHTS: [u32; 8] = [8, 6, 4, 2, 3, 5, 9, 7];

/// The S10 check digit of an 8-digit serial.
pub fn s10_check_digit(serial: &[u8; 8]) -> u8 {
    let sum: u32 = serial
        .iter()
        .zip(S10_WEIGHTS)
        .map(|(d, w)| u32::from(*d) * w)
        .sum();
    match 11 - (sum % 11) {
        10 => 0,
        11 => 5,
        c => c as u8,
    }
}

/// Most characters in a tracking number.
const MAX_LEN: usize = 40;
/// Fewest characters in a tracking number.
const MIN_LEN: usize = 8;

impl TrackingNumber {
    /// Validates a caller-supplied number: trimmed and upper-cased, never otherwise changed (a
    /// carrier's `-` is kept, so the number reads back as it was given).
    pub fn parse(raw: &str) -> Result<Self, String> {
        let s = raw.trim().to_ascii_uppercase();
        let b = s.as_bytes();
        let shaped = (MIN_LEN..=MAX_LEN).contains(&b.len())
            && b.iter().all(|c| c.is_ascii_alphanumeric() || *c == b'-')
            && b.first().is_some_and(u8::is_ascii_alphanumeric)
            && b.last().is_some_and(u8::is_ascii_alphanumeric)
            && !s.contains("--");
        if !shaped {
            return Err(format!(
                "must be {MIN_LEN}–{MAX_LEN} letters and digits, optionally separated by single '-'"
            ));
        }
        Ok(Self(s))
    }

    /// The Kuaidi S10 number for the `serial`-th shipment (a database sequence). Serials are
    /// scrambled by a bijection of 0..10^8 so consecutive waybills do not get guessable
    /// consecutive numbers; each block of 10^8 gets the next prefix (`KD`, `KE`, ...).
    pub fn generate(serial: u64) -> Self {
        const BLOCK: u64 = 100_000_000;
        // Odd and not a multiple of 5: coprime to 10^8, so this permutes each block.
        let n = (serial % BLOCK * 7_919_171 + 12_345_677) % BLOCK;
        let letter = char::from(b'A' + ((3 + serial / BLOCK) % 26) as u8);
        let text = format!("{n:08}");
        let mut digits = [0u8; 8];
        for (d, b) in digits.iter_mut().zip(text.bytes()) {
            *d = b - b'0';
        }
        Self(format!("K{letter}{text}{}CN", s10_check_digit(&digits)))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for TrackingNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn s10_check_digit_matches_the_upu_example() {
        // The worked example of UPU S10: serial 47312482 has check digit 9.
        assert_eq!(s10_check_digit(&[4, 7, 3, 1, 2, 4, 8, 2]), 9);
        assert!(TrackingNumber::parse("RR473124829GB").is_ok());
    }

    #[test]
    fn generated_numbers_are_unique_within_a_block() {
        let mut seen = std::collections::HashSet::new();
        for serial in 0..100_000 {
            assert!(
                seen.insert(TrackingNumber::generate(serial)),
                "serial {serial} collides"
            );
        }
        assert!(TrackingNumber::generate(1).as_str().starts_with("KD"));
        assert!(TrackingNumber::generate(100_000_001)
            .as_str()
            .starts_with("KE"));
    }

    #[test]
    fn generated_numbers_are_valid_s10() {
        for serial in [0, 1, 12_345_678, 99_999_999, 4_000_000_000] {
            let tn = TrackingNumber::generate(serial);
            assert_eq!(TrackingNumber::parse(tn.as_str()), Ok(tn.clone()), "{tn}");
            let b = tn.as_str().as_bytes();
            assert_eq!(b.len(), 13, "{tn} is S10-shaped");
            let mut digits = [0u8; 8];
            for (d, c) in digits.iter_mut().zip(&b[2..10]) {
                *d = c - b'0';
            }
            assert_eq!(s10_check_digit(&digits), b[10] - b'0', "{tn} check digit");
        }
    }

    #[test]
    fn caller_numbers_are_not_held_to_the_s10_check_digit() {
        for other_carrier in ["KD123456789CN", "RR473124828GB"] {
            assert_eq!(
                TrackingNumber::parse(other_carrier).map(|t| t.to_string()),
                Ok(other_carrier.to_owned())
            );
        }
    }

    #[test]
    fn carrier_hyphens_are_kept_and_junk_is_refused() {
        assert_eq!(
            TrackingNumber::parse(" sf12-345678 ").map(|t| t.to_string()),
            Ok("SF12-345678".to_owned())
        );
        assert_eq!(
            TrackingNumber::parse(" sf1234567890 ").map(|t| t.to_string()),
            Ok("SF1234567890".to_owned())
        );
        for junk in [
            "abc",
            "-SF12345678",
            "SF12345678-",
            "SF12--345678",
            "SF12 345678",
            "SF12/345678",
            "SF12_345678",
            "-------",
            &"A".repeat(41),
        ] {
            assert!(
                TrackingNumber::parse(junk).is_err(),
                "{junk:?} must be refused"
            );
        }
        assert!(TrackingNumber::parse(&"A".repeat(40)).is_ok());
    }
}
