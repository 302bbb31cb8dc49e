//! Money on the wire is `{ "amount": "12.50", "currency": "CNY" }` (SPEC §2); in the database it
//! is an integer count of the currency's minor units (fen for CNY, yen for JPY) beside its
//! ISO 4217 code, so sums are exact.
//!
//! Kuaidi takes money in the currencies of [`CURRENCIES`] only, each with as many decimals as
//! its ISO 4217 minor unit: a currency no one bills in here (`ZZZ`, a fund code) or a fraction
//! of a yen is a mistake of the caller's, refused where it arrives rather than stored.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// The currencies Kuaidi accepts, with their ISO 4217 minor unit (decimals): the mainland's,
/// Hong Kong's, Macau's and Taiwan's, and those the international lanes (DHL, UPS, FedEx, EMS)
/// settle in. One table, so adding a currency is one line.
// NOTE: external contract — integrators send these codes; removing one refuses their money.
pub const CURRENCIES: [(&str, u32); 12] = [
    ("CNY", 2),
    ("HKD", 2),
    ("MOP", 2),
    ("TWD", 2),
    ("USD", 2),
    ("EUR", 2),
    ("GBP", 2),
    ("JPY", 0),
    ("KRW", 0),
    ("SGD", 2),
    ("AUD", 2),
    ("CAD", 2),
];

/// The most minor units an amount may have (10¹² fen: ten billion yuan), so that sums of many
/// amounts stay far inside an `i64`.
const MAX_MINOR: i64 = 1_000_000_000_000;

/// The decimals of `currency` (its ISO 4217 minor unit), when Kuaidi accepts it.
pub fn decimals(currency: &str) -> Option<u32> {
    CURRENCIES
        .iter()
        .find(|(code, _)| *code == currency)
        .map(|(_, d)| *d)
}

/// An amount of money: a decimal string with at most as many decimals as its currency has
/// (CNY two, JPY and KRW none) and the currency's ISO 4217 code. No other field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"amount": "12.50", "currency": "CNY"}))]
pub struct Money {
    /// Decimal string with digits on both sides of any `.`, e.g. `"12.50"`, `"7"`; at most as
    /// many decimals as the currency has (`"1500"` JPY, never `"1.50"`).
    pub amount: String,
    /// ISO 4217 code, one of CNY, HKD, MOP, TWD, USD, EUR, GBP, JPY, KRW, SGD, AUD, CAD.
    pub currency: String,
}

impl Money {
    /// `minor` units of `currency` as a decimal string with the currency's decimals (two for
    /// a code Kuaidi does not know, as stored before the table existed).
    pub fn from_minor(minor: i64, currency: &str) -> Self {
        let sign = if minor < 0 { "-" } else { "" };
        let abs = minor.unsigned_abs();
        let places = decimals(currency).unwrap_or(2);
        let scale = 10u64.pow(places);
        let amount = if places == 0 {
            format!("{sign}{abs}")
        } else {
            let width = places as usize;
            format!("{sign}{}.{:0width$}", abs / scale, abs % scale)
        };
        Self {
            amount,
            currency: currency.to_owned(),
        }
    }

    /// The amount in minor units, validated: an accepted currency, a non-negative decimal with
    /// digits on both sides of any `.` and at most the currency's decimals.
    pub fn to_minor(&self) -> Result<i64, String> {
        let places = decimals(&self.currency).ok_or_else(|| {
            let codes: Vec<&str> = CURRENCIES.iter().map(|(c, _)| *c).collect();
            format!("currency must be one of {}", codes.join(", "))
        })?;
        let (units, fraction) = match self.amount.split_once('.') {
            Some((u, f)) => (u, Some(f)),
            None => (self.amount.as_str(), None),
        };
        let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
        if !digits(units) || fraction.is_some_and(|f| !digits(f)) {
            return Err(
                "amount must be a non-negative decimal string such as \"12.50\" (digits on both \
                 sides of the point)"
                    .into(),
            );
        }
        let fraction = fraction.unwrap_or("");
        if fraction.len() > places as usize {
            return Err(match places {
                0 => format!("amount must be a whole number of {}", self.currency),
                n => format!("amount must have at most {n} decimals in {}", self.currency),
            });
        }
        let too_large = || "amount is too large".to_string();
        let units: i64 = units.parse().map_err(|_| too_large())?;
        let width = places as usize;
        let fraction: i64 = format!("{fraction:0<width$}").parse().unwrap_or(0);
        units
            .checked_mul(10i64.pow(places))
            .and_then(|u| u.checked_add(fraction))
            .filter(|v| *v <= MAX_MINOR)
            .ok_or_else(too_large)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(a: &str) -> Money {
        in_(a, "CNY")
    }

    fn in_(amount: &str, currency: &str) -> Money {
        Money {
            amount: amount.into(),
            currency: currency.into(),
        }
    }

    #[test]
    fn decimal_strings_round_trip_through_minor_units() {
        assert_eq!(m("12.50").to_minor(), Ok(1250));
        assert_eq!(m("12.5").to_minor(), Ok(1250));
        assert_eq!(m("7").to_minor(), Ok(700));
        assert_eq!(m("0.05").to_minor(), Ok(5));
        assert_eq!(Money::from_minor(1250, "CNY"), m("12.50"));
        assert_eq!(Money::from_minor(5, "CNY").amount, "0.05");
        assert_eq!(Money::from_minor(-150, "CNY").amount, "-1.50");
    }

    #[test]
    fn a_currency_without_minor_unit_takes_whole_amounts_only() {
        assert_eq!(in_("1500", "JPY").to_minor(), Ok(1500));
        assert_eq!(Money::from_minor(1500, "JPY"), in_("1500", "JPY"));
        assert_eq!(Money::from_minor(-7, "KRW").amount, "-7");
        for bad in ["1.50", "1.0", "1500.00"] {
            let e = in_(bad, "JPY").to_minor();
            assert_eq!(
                e,
                Err("amount must be a whole number of JPY".into()),
                "{bad}"
            );
        }
    }

    #[test]
    fn every_accepted_currency_round_trips_its_own_decimals() {
        for (code, places) in CURRENCIES {
            let amount = Money::from_minor(123_456, code);
            assert_eq!(amount.to_minor(), Ok(123_456), "{code}");
            let shown = amount.amount.split_once('.').map_or(0, |(_, f)| f.len());
            assert_eq!(shown, places as usize, "{code} shows its minor unit");
        }
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
            "1.",
            ".",
            "1..5",
            "1.5.0",
            " 1",
            "+1",
            "1,50",
            "99999999999999999999",
            "10000000001",
        ] {
            assert!(m(bad).to_minor().is_err(), "{bad:?} must be refused");
        }
        assert_eq!(m("10000000000").to_minor(), Ok(MAX_MINOR), "the largest");
    }

    #[test]
    fn only_the_accepted_iso_codes_are_currencies() {
        for bad in ["ZZZ", "cny", "CN", "CNYY", "", "XAU", "XTS"] {
            let e = in_("1", bad).to_minor().expect_err(bad);
            assert!(
                e.starts_with("currency must be one of CNY, HKD"),
                "{bad}: {e}"
            );
        }
    }

    #[test]
    fn a_money_object_with_another_field_is_not_money() {
        let extra = serde_json::json!({"amount": "1.00", "currency": "CNY", "x": 1});
        assert!(serde_json::from_value::<Money>(extra).is_err());
        let plain = serde_json::json!({"amount": "1.00", "currency": "CNY"});
        assert_eq!(serde_json::from_value::<Money>(plain).ok(), Some(m("1.00")));
    }

    #[test]
    fn the_documented_currencies_are_the_accepted_ones() {
        let schema = serde_json::to_string(&<Money as utoipa::PartialSchema>::schema())
            .expect("schema as JSON");
        let (_, listed) = schema
            .split_once("one of ")
            .expect("the currency's description lists the codes");
        for (code, _) in CURRENCIES {
            assert!(listed.contains(code), "{code} documented");
        }
    }
}
