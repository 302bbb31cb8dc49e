//! The query text of the analytics reports parsed into the domain's [`KpiRequest`]: every
//! faulty parameter reported at once, by name. `now` is passed in, so the defaults are
//! testable without a clock.

use chrono::{DateTime, Days, NaiveDate, Utc};
use chrono_tz::Tz;
use kuaidi_shared::vocabulary::parse_into;
use kuaidi_shared::{ApiError, FieldError};
use std::str::FromStr;
use strum::VariantArray;
use uuid::Uuid;

use super::kpis::KpiQuery;
use crate::domain::periods::Granularity;
use crate::domain::query::{
    KpiFilter, KpiRequest, ReportRange, ServiceLevel, ValueTier, DEFAULT_DAYS,
};

/// The parameters every analytics report accepts; anything else is refused by name.
pub const KNOWN_PARAMETERS: [&str; 9] = [
    "from",
    "to",
    "granularity",
    "tz",
    "city",
    "province",
    "service_level",
    "value_tier",
    "merchant_id",
];

impl KpiQuery {
    /// Validates every parameter, reporting all faulty fields at once (`422`). `now` gives
    /// today's local date in the requested zone (the default end).
    pub fn into_request(self, now: DateTime<Utc>) -> Result<KpiRequest, ApiError> {
        let q = self;
        let mut errors: Vec<FieldError> = q
            .unknown
            .keys()
            .map(|k| FieldError::new(k.clone(), "unknown parameter"))
            .collect();
        let tz = match blank_to_none(q.tz) {
            None => Some(Tz::UTC),
            Some(name) => name.parse::<Tz>().ok().or_else(|| {
                errors.push(FieldError::new(
                    "tz",
                    "must be an IANA time zone, e.g. Asia/Shanghai",
                ));
                None
            }),
        };
        let zone = tz.unwrap_or(Tz::UTC);
        let today = now.with_timezone(&zone).date_naive();
        let from = date(&mut errors, "from", q.from.as_deref(), zone);
        let to = date(&mut errors, "to", q.to.as_deref(), zone);
        let granularity = match q.granularity.as_deref().map(str::trim) {
            None | Some("") => Some(Granularity::Day),
            Some(s) => Granularity::parse(s).or_else(|| {
                errors.push(FieldError::new("granularity", "must be day, week or month"));
                None
            }),
        };
        // Blank is no UUID either (the documented format): refused, not read as "any".
        let merchant_id = q.merchant_id.and_then(|m| {
            Uuid::parse_str(m.trim())
                .map_err(|_| errors.push(FieldError::new("merchant_id", "must be a UUID")))
                .ok()
        });
        let city = text(&mut errors, "city", q.city);
        let province = text(&mut errors, "province", q.province);
        let service_level =
            enumerated::<ServiceLevel>(&mut errors, "service_level", q.service_level);
        let value_tier = enumerated::<ValueTier>(&mut errors, "value_tier", q.value_tier);
        let range = match (from, to, granularity) {
            (Ok(from), Ok(to), Some(g)) => {
                let to = to.unwrap_or(today);
                let from = from.unwrap_or_else(|| {
                    to.checked_sub_days(Days::new(DEFAULT_DAYS - 1))
                        .unwrap_or(to)
                });
                ReportRange::new(from, to, g)
                    .map_err(|e| errors.push(e))
                    .ok()
            }
            _ => None,
        };
        match (range, tz) {
            (Some(range), Some(tz)) if errors.is_empty() => Ok(KpiRequest {
                range,
                tz,
                today,
                filter: KpiFilter {
                    merchant_id,
                    city,
                    province,
                    service_level,
                    value_tier,
                    handler_id: None,
                },
            }),
            _ => {
                errors.sort_by(|a, b| a.field.cmp(&b.field));
                Err(ApiError::Validation(errors))
            }
        }
    }
}

/// A local day of `tz`: a strict `YYYY-MM-DD` (years 0001–9999), or an RFC 3339 timestamp
/// (SPEC §2), whose day it is in `tz`; `Ok(None)` when absent or blank.
fn date(
    errors: &mut Vec<FieldError>,
    field: &str,
    value: Option<&str>,
    tz: Tz,
) -> Result<Option<NaiveDate>, ()> {
    let Some(s) = value.map(str::trim).filter(|s| !s.is_empty()) else {
        return Ok(None);
    };
    match plain_date(s).or_else(|| timestamp(s).map(|t| t.with_timezone(&tz).date_naive())) {
        Some(d) => Ok(Some(d)),
        None => {
            errors.push(FieldError::new(
                field,
                "must be a date YYYY-MM-DD or an RFC 3339 timestamp",
            ));
            Err(())
        }
    }
}

/// A strict `YYYY-MM-DD` (years 0001–9999).
fn plain_date(s: &str) -> Option<NaiveDate> {
    let shaped = s.len() == 10
        && s.bytes().enumerate().all(|(i, b)| match i {
            4 | 7 => b == b'-',
            _ => b.is_ascii_digit(),
        })
        && !s.starts_with("0000");
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .ok()
        .filter(|_| shaped)
}

/// An RFC 3339 timestamp of years 0001–9999, e.g. `2026-11-25T08:00:00+08:00`. An offset's `+`
/// left unencoded in a query string arrives as a space, and is read as the `+` it was.
fn timestamp(s: &str) -> Option<DateTime<Utc>> {
    let parse = |t: &str| {
        DateTime::parse_from_rfc3339(t)
            .ok()
            .filter(|_| t.as_bytes().get(4) == Some(&b'-') && !t.starts_with("0000"))
            .map(|t| t.to_utc())
    };
    parse(s).or_else(|| {
        let (head, offset) = s.rsplit_once(' ')?;
        let plus = offset.len() == 5 && offset.as_bytes()[2] == b':';
        plus.then(|| parse(&format!("{head}+{offset}"))).flatten()
    })
}

/// The longest text filter, in characters (no dimension value comes near it).
pub const MAX_FILTER_CHARS: usize = 100;

/// A trimmed text filter without control characters (PostgreSQL refuses NUL in text);
/// `None` when absent or blank.
fn text(errors: &mut Vec<FieldError>, field: &str, value: Option<String>) -> Option<String> {
    let v = blank_to_none(value)?;
    if v.chars().count() > MAX_FILTER_CHARS {
        errors.push(FieldError::new(
            field,
            format!("must be at most {MAX_FILTER_CHARS} characters"),
        ));
        None
    } else if v.chars().any(char::is_control) {
        errors.push(FieldError::new(
            field,
            "must not contain control characters",
        ));
        None
    } else {
        Some(v)
    }
}

/// A filter of a closed vocabulary (`T`): one of its values, trimmed; `None` when absent or
/// blank.
fn enumerated<T>(errors: &mut Vec<FieldError>, field: &str, value: Option<String>) -> Option<String>
where
    T: FromStr + VariantArray + AsRef<str>,
{
    let v = blank_to_none(value)?;
    parse_into::<T>(errors, field, &v).map(|t| t.as_ref().to_owned())
}

fn blank_to_none(v: Option<String>) -> Option<String> {
    v.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty())
}

#[cfg(test)]
#[path = "query_tests.rs"]
mod tests;
