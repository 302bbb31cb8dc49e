//! Tracking numbers. Kuaidi generates UPU S10 numbers (`KD` + 8-digit serial + check digit +
//! `CN`); numbers supplied by callers are accepted in any carrier's alphanumeric format, but an
//! S10-shaped one must carry a valid check digit.

use std::fmt;

/// A validated tracking number (upper-case, 8–40 characters of A–Z and 0–9).
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

fn is_s10_shape(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 13
        && b[..2].iter().all(u8::is_ascii_uppercase)
        && b[2..11].iter().all(u8::is_ascii_digit)
        && b[11..].iter().all(u8::is_ascii_uppercase)
}

impl TrackingNumber {
    /// Validates a caller-supplied number.
    pub fn parse(raw: &str) -> Result<Self, String> {
        let s = raw.trim().to_ascii_uppercase();
        if !(8..=40).contains(&s.len()) || !s.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return Err("must be 8–40 letters and digits".into());
        }
        if is_s10_shape(&s) {
            let digits: Vec<u8> = s.as_bytes()[2..11].iter().map(|b| b - b'0').collect();
            let mut serial = [0u8; 8];
            serial.copy_from_slice(&digits[..8]);
            if s10_check_digit(&serial) != digits[8] {
                return Err("check digit does not match (UPU S10)".into());
            }
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
    fn generated_numbers_validate() {
        for serial in [0, 1, 12_345_678, 99_999_999, 4_000_000_000] {
            let tn = TrackingNumber::generate(serial);
            assert_eq!(TrackingNumber::parse(tn.as_str()), Ok(tn.clone()), "{tn}");
        }
    }

    #[test]
    fn wrong_check_digit_and_junk_are_refused() {
        assert!(TrackingNumber::parse("RR473124828GB").is_err());
        assert!(TrackingNumber::parse("abc").is_err());
        assert!(TrackingNumber::parse("SF12-345678").is_err());
        assert_eq!(
            TrackingNumber::parse(" sf1234567890 ").map(|t| t.to_string()),
            Ok("SF1234567890".to_owned())
        );
    }
}
