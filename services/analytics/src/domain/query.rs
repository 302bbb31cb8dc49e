//! A KPI query parsed at the edge: the reporting range and the filters, valid by construction.
//! `today` is passed in, so the defaults are testable without a clock.

use chrono::{DateTime, Days, NaiveDate, Offset, TimeZone, Utc};
use chrono_tz::Tz;
use kuaidi_shared::auth::{Principal, Role};
use kuaidi_shared::{ApiError, FieldError};
use uuid::Uuid;

use super::periods::{periods, Granularity, Period};
use crate::api::kpis::KpiQuery;

/// The longest report, in periods (rows): 400 days by day, 400 weeks by week, 400 months by
/// month.
pub const MAX_PERIODS: i64 = 400;

/// Days a report covers when `from` is not given: 30, ending on `to`.
pub const DEFAULT_DAYS: u64 = 30;

/// Validated `from..=to` (inclusive) and granularity.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReportRange {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub granularity: Granularity,
}

impl ReportRange {
    /// Checks `from <= to` and the [`MAX_PERIODS`] limit; the error names the field.
    pub fn new(
        from: NaiveDate,
        to: NaiveDate,
        granularity: Granularity,
    ) -> Result<Self, FieldError> {
        if from > to {
            return Err(FieldError::new("from", "must not be after `to`"));
        }
        let n = granularity.count(from, to);
        if n > MAX_PERIODS {
            return Err(FieldError::new(
                "from",
                format!(
                    "the range may cover at most {MAX_PERIODS} {g}s at {g} granularity; it covers {n}",
                    g = granularity.as_str()
                ),
            ));
        }
        Ok(Self {
            from,
            to,
            granularity,
        })
    }

    /// The rows of the report: every whole period overlapping `from..=to`.
    pub fn periods(&self) -> Vec<Period> {
        periods(self.from, self.to, self.granularity)
    }

    /// The first and last day the rows cover (whole periods, so possibly beyond `from..=to`).
    pub fn days(&self) -> (NaiveDate, NaiveDate) {
        (
            self.granularity.start_of(self.from),
            self.granularity.end_of(self.to),
        )
    }
}

/// What the rows are restricted to. `None` is "any".
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KpiFilter {
    pub merchant_id: Option<Uuid>,
    pub city: Option<String>,
    pub province: Option<String>,
    pub service_level: Option<String>,
    pub value_tier: Option<String>,
    /// An agent's own cases (set from the token, never from the query).
    pub handler_id: Option<Uuid>,
}

/// A KPI query ready to run: local days of `tz`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KpiRequest {
    pub range: ReportRange,
    pub filter: KpiFilter,
    pub tz: Tz,
}

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

impl KpiRequest {
    /// Validates every parameter, reporting all faulty fields at once (`422`). `now` gives
    /// today's local date in the requested zone (the default end).
    pub fn parse(q: KpiQuery, now: DateTime<Utc>) -> Result<Self, ApiError> {
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
        let today = now.with_timezone(&tz.unwrap_or(Tz::UTC)).date_naive();
        let from = date(&mut errors, "from", q.from.as_deref());
        let to = date(&mut errors, "to", q.to.as_deref());
        let granularity = match q.granularity.as_deref().map(str::trim) {
            None | Some("") => Some(Granularity::Day),
            Some(s) => Granularity::parse(s).or_else(|| {
                errors.push(FieldError::new("granularity", "must be day, week or month"));
                None
            }),
        };
        let merchant_id = blank_to_none(q.merchant_id).and_then(|m| {
            Uuid::parse_str(&m)
                .map_err(|_| errors.push(FieldError::new("merchant_id", "must be a UUID")))
                .ok()
        });
        let city = text(&mut errors, "city", q.city);
        let province = text(&mut errors, "province", q.province);
        let service_level = text(&mut errors, "service_level", q.service_level);
        let value_tier = text(&mut errors, "value_tier", q.value_tier);
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
            (Some(range), Some(tz)) if errors.is_empty() => Ok(Self {
                range,
                tz,
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

    /// The hourly slice that answers the request, as (dimension, value) — `("", "")` for no
    /// filter — when it filters by at most one of city, province, service level and value
    /// tier (besides the merchant), not by handler, and local days begin on whole UTC hours
    /// throughout the range (not Asia/Kolkata, +5:30, say). `None`: the 15-minute rows.
    pub fn hourly_slice(&self) -> Option<(&'static str, String)> {
        let f = &self.filter;
        if f.handler_id.is_some() {
            return None;
        }
        let set: Vec<(&'static str, &String)> = [
            ("city", &f.city),
            ("province", &f.province),
            ("service_level", &f.service_level),
            ("value_tier", &f.value_tier),
        ]
        .into_iter()
        .filter_map(|(dim, v)| v.as_ref().map(|v| (dim, v)))
        .collect();
        let (first, last) = self.range.days();
        if set.len() > 1 || !whole_hour_offsets(self.tz, first, last) {
            return None;
        }
        Some(
            set.first()
                .map_or(("", String::new()), |(d, v)| (*d, (*v).clone())),
        )
    }

    /// The filter as a key of remembered figures (the zone and granularity apart).
    pub fn filter_key(&self) -> String {
        let f = &self.filter;
        serde_json::json!([
            f.merchant_id,
            f.city,
            f.province,
            f.service_level,
            f.value_tier,
            f.handler_id
        ])
        .to_string()
    }

    /// Confines the request to what the caller may see: a merchant its own figures whatever
    /// `merchant_id` says, an agent the cases they handle.
    pub fn confine(&mut self, caller: &Principal) -> Result<(), ApiError> {
        match caller.role {
            Role::Merchant => {
                // NOTE: tenant isolation: its own figures, never a 403 revealing another.
                let own = caller.merchant_id.ok_or_else(|| {
                    ApiError::Forbidden("merchant token without merchant_id".into())
                })?;
                self.filter.merchant_id = Some(own);
            }
            Role::Agent => {
                let own = caller
                    .user_id()
                    .ok_or_else(|| ApiError::Forbidden("agent token without a user id".into()))?;
                self.filter.handler_id = Some(own);
            }
            _ => {}
        }
        Ok(())
    }
}

/// Whether `tz` is a whole number of hours from UTC on every day of `first..=last` (and the
/// days around it).
pub fn whole_hour_offsets(tz: Tz, first: NaiveDate, last: NaiveDate) -> bool {
    let first = first.pred_opt().unwrap_or(first);
    let last = last.succ_opt().unwrap_or(last);
    first.iter_days().take_while(|d| *d <= last).all(|d| {
        [0, 12].iter().all(|h| {
            d.and_hms_opt(*h, 0, 0).is_some_and(|t| {
                tz.offset_from_utc_datetime(&t).fix().local_minus_utc() % 3600 == 0
            })
        })
    })
}

/// A strict `YYYY-MM-DD` (years 0001–9999); `Ok(None)` when absent or blank.
fn date(
    errors: &mut Vec<FieldError>,
    field: &str,
    value: Option<&str>,
) -> Result<Option<NaiveDate>, ()> {
    let Some(s) = value.map(str::trim).filter(|s| !s.is_empty()) else {
        return Ok(None);
    };
    let shaped = s.len() == 10
        && s.bytes().enumerate().all(|(i, b)| match i {
            4 | 7 => b == b'-',
            _ => b.is_ascii_digit(),
        })
        && !s.starts_with("0000");
    match NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        Ok(d) if shaped => Ok(Some(d)),
        _ => {
            errors.push(FieldError::new(field, "must be a date YYYY-MM-DD"));
            Err(())
        }
    }
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

fn blank_to_none(v: Option<String>) -> Option<String> {
    v.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty())
}

#[cfg(test)]
#[path = "query_tests.rs"]
mod tests;
