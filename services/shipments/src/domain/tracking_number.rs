//! Tracking numbers. Kuaidi issues UPU S10 numbers (`KD` + 8-digit serial + check digit +
//! `CN`); the check digit is a property of the numbers Kuaidi issues. Numbers supplied by
//! callers come from any carrier and are accepted in its format — letters and digits, with `-`
//! as a separator — without checking any check digit: an S10-shaped number of another carrier
//! need not follow UPU's rule. A supplied number that *is* one of Kuaidi's series (`KD`, 8
//! digits, their valid check digit, `CN`) is refused ([`TrackingNumber::parse_supplied`]):
//! those are issued by Kuaidi alone, so no caller can take a number the service would issue.

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
/// How many serials Kuaidi's series has (8 digits).
const SERIALS: u64 = 100_000_000;

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

    /// Validates a number a caller supplies for a new shipment: [`Self::parse`], and not one of
    /// Kuaidi's own series (see [`Self::is_kuaidi_series`]).
    pub fn parse_supplied(raw: &str) -> Result<Self, String> {
        let tn = Self::parse(raw)?;
        if tn.is_kuaidi_series() {
            return Err("numbers of this series are issued by Kuaidi".into());
        }
        Ok(tn)
    }

    /// The Kuaidi S10 number drawn from `draw`, a random value (the service's randomness,
    /// passed in so the rule is testable): its serial is `draw` modulo 10^8, so a number says
    /// nothing of the next one. Two draws may give the same number; whoever stores it retries
    /// with a fresh draw ([`crate::workflow::numbering`]).
    pub fn issue(draw: u64) -> Self {
        let text = format!("{:08}", draw % SERIALS);
        let mut digits = [0u8; 8];
        for (d, b) in digits.iter_mut().zip(text.bytes()) {
            *d = b - b'0';
        }
        Self(format!("KD{text}{}CN", s10_check_digit(&digits)))
    }

    /// Whether this is a number of Kuaidi's series: `KD`, an 8-digit serial, its S10 check
    /// digit, `CN`.
    pub fn is_kuaidi_series(&self) -> bool {
        let b = self.0.as_bytes();
        if b.len() != 13 || !self.0.starts_with("KD") || !self.0.ends_with("CN") {
            return false;
        }
        let mut digits = [0u8; 8];
        for (d, c) in digits.iter_mut().zip(&b[2..10]) {
            if !c.is_ascii_digit() {
                return false;
            }
            *d = c - b'0';
        }
        b[10].is_ascii_digit() && s10_check_digit(&digits) == b[10] - b'0'
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
    fn issued_numbers_are_valid_s10_of_the_kuaidi_series() {
        for draw in [0, 1, 12_345_678, 99_999_999, 4_000_000_000, u64::MAX] {
            let tn = TrackingNumber::issue(draw);
            assert_eq!(TrackingNumber::parse(tn.as_str()), Ok(tn.clone()), "{tn}");
            let b = tn.as_str().as_bytes();
            assert_eq!(b.len(), 13, "{tn} is S10-shaped");
            assert!(tn.as_str().starts_with("KD") && tn.as_str().ends_with("CN"));
            let mut digits = [0u8; 8];
            for (d, c) in digits.iter_mut().zip(&b[2..10]) {
                *d = c - b'0';
            }
            assert_eq!(s10_check_digit(&digits), b[10] - b'0', "{tn} check digit");
            assert!(tn.is_kuaidi_series(), "{tn} is of the series");
        }
        assert_eq!(TrackingNumber::issue(47_312_482).as_str(), "KD473124829CN");
        assert_eq!(
            TrackingNumber::issue(SERIALS + 5),
            TrackingNumber::issue(5),
            "the serial is the draw modulo 10^8"
        );
    }

    #[test]
    fn supplied_numbers_of_the_kuaidi_series_are_refused() {
        assert_eq!(
            TrackingNumber::parse_supplied(" kd473124829cn "),
            Err("numbers of this series are issued by Kuaidi".to_owned())
        );
        // Another check digit, prefix or length: another carrier's number.
        for other in [
            "KD473124828CN",
            "KE473124829CN",
            "KD473124829GB",
            "KD4731248290CN",
        ] {
            assert!(
                TrackingNumber::parse_supplied(other).is_ok(),
                "{other} is not of Kuaidi's series"
            );
        }
        assert!(
            TrackingNumber::parse("KD473124829CN").is_ok(),
            "looking a number up is not supplying it"
        );
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
