//! Money on the wire is `{ "amount": "12.50", "currency": "CNY" }` (SPEC §2); in the database it
//! is an integer count of minor units (fen) beside an ISO 4217 code, so sums are exact.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// An amount of money: a decimal string with at most two decimals and a currency code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({"amount": "12.50", "currency": "CNY"}))]
pub struct Money {
    /// Decimal string, e.g. `"12.50"`.
    pub amount: String,
    /// ISO 4217 code, e.g. `CNY`.
    pub currency: String,
}

impl Money {
    pub fn from_minor(minor: i64, currency: &str) -> Self {
        let sign = if minor < 0 { "-" } else { "" };
        let abs = minor.unsigned_abs();
        Self {
            amount: format!("{sign}{}.{:02}", abs / 100, abs % 100),
            currency: currency.to_owned(),
        }
    }

    /// The amount in minor units, validated: non-negative, at most two decimals, a
    /// three-letter upper-case currency.
    pub fn to_minor(&self) -> Result<i64, String> {
        if !(self.currency.len() == 3 && self.currency.bytes().all(|b| b.is_ascii_uppercase())) {
            return Err("currency must be a three-letter ISO 4217 code".into());
        }
        let (units, cents) = match self.amount.split_once('.') {
            Some((u, c)) => (u, c),
            None => (self.amount.as_str(), ""),
        };
        let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
        if units.is_empty() || !digits(units) || !digits(cents) || cents.len() > 2 {
            return Err(
                "amount must be a non-negative decimal string with at most 2 decimals".into(),
            );
        }
        let units: i64 = units
            .parse()
            .map_err(|_| "amount is too large".to_string())?;
        let cents: i64 = format!("{cents:0<2}").parse().unwrap_or(0);
        units
            .checked_mul(100)
            .and_then(|u| u.checked_add(cents))
            .filter(|v| *v <= 1_000_000_000_000)
            .ok_or_else(|| "amount is too large".to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(a: &str) -> Money {
        Money {
            amount: a.into(),
            currency: "CNY".into(),
        }
    }

    #[test]
    fn decimal_strings_round_trip_through_minor_units() {
        assert_eq!(m("12.50").to_minor(), Ok(1250));
        assert_eq!(m("12.5").to_minor(), Ok(1250));
        assert_eq!(m("7").to_minor(), Ok(700));
        assert_eq!(Money::from_minor(1250, "CNY"), m("12.50"));
        assert_eq!(Money::from_minor(5, "CNY").amount, "0.05");
    }

    #[test]
    fn malformed_amounts_are_refused() {
        for bad in [
            "",
            "-1",
            "1.234",
            "1e3",
            "abc",
            ".5",
            "99999999999999999999",
        ] {
            assert!(m(bad).to_minor().is_err(), "{bad:?} must be refused");
        }
        let lower = Money {
            amount: "1".into(),
            currency: "cny".into(),
        };
        assert!(lower.to_minor().is_err());
    }
}
