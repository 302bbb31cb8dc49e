//! Which pre-aggregated rows answer a KPI query, day by day. The cheapest rows that give exact
//! local days are used: whole local days (`kpi_days`, kept for the UTC offsets of
//! [`DAY_OFFSETS`]) on the days the zone keeps one of those offsets, hourly slices on other
//! days of zones a whole number of hours from UTC, 15-minute rows otherwise; the day slices
//! and hourly slices hold at most one filter dimension (besides the merchant), so other
//! filters read the 15-minute rows throughout. Every source sums the same facts, so the
//! figures are the same whichever answers.

use chrono::{Days, NaiveDate, Offset, TimeDelta, TimeZone};
use chrono_tz::Tz;

use super::facts::BUCKET_MINUTES;
use super::query::KpiRequest;

/// The UTC offsets, in minutes east, whose local days are kept whole in `kpi_days`: UTC and
/// China Standard Time (no daylight saving time). Adding one needs a migration that fills
/// its days from `kpi_rollup`.
pub const DAY_OFFSETS: [i32; 2] = [0, 480];

/// One filter dimension and its value, `("", "")` for none: the slice of `kpi_days` and
/// `kpi_hourly` that answers a query.
pub type Slice = (&'static str, String);

/// Where a run of local days is read from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// Whole days of `kpi_days` at this UTC offset (minutes east).
    Days { utc_offset: i32, slice: Slice },
    /// `kpi_hourly` of this slice.
    Hours(Slice),
    /// `kpi_rollup` (any filters).
    Quarters,
}

/// The local days `first..=last` (of the request's zone), read from `source`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Piece {
    pub first: NaiveDate,
    pub last: NaiveDate,
    pub source: Source,
}

impl KpiRequest {
    /// The slice answering the request when it filters by at most one of city, province,
    /// service level and value tier (any merchant) and not by handler.
    pub fn slice(&self) -> Option<Slice> {
        let f = &self.filter;
        if f.handler_id.is_some() {
            return None;
        }
        let mut set = [
            ("city", &f.city),
            ("province", &f.province),
            ("service_level", &f.service_level),
            ("value_tier", &f.value_tier),
        ]
        .into_iter()
        .filter_map(|(dim, v)| v.as_ref().map(|v| (dim, v.clone())));
        match (set.next(), set.next()) {
            (None, _) => Some(("", String::new())),
            (Some(one), None) => Some(one),
            _ => None,
        }
    }

    /// The days the rows cover (whole periods) in runs of the same source, in order.
    pub fn plan(&self) -> Vec<Piece> {
        let (first, last) = self.range.days();
        let Some(slice) = self.slice() else {
            return vec![Piece {
                first,
                last,
                source: Source::Quarters,
            }];
        };
        let mut pieces: Vec<Piece> = Vec::new();
        for day in first.iter_days().take_while(|d| *d <= last) {
            let source = match fixed_offset(self.tz, day) {
                Some(utc_offset) if DAY_OFFSETS.contains(&utc_offset) => Source::Days {
                    utc_offset,
                    slice: slice.clone(),
                },
                _ if whole_hour_offsets(self.tz, day, day) => Source::Hours(slice.clone()),
                _ => Source::Quarters,
            };
            match pieces.last_mut() {
                Some(p) if p.source == source => p.last = day,
                _ => pieces.push(Piece {
                    first: day,
                    last: day,
                    source,
                }),
            }
        }
        pieces
    }
}

/// The UTC offset (minutes east) `tz` keeps throughout the local day `day` and the quarter
/// hours either side of it, when it keeps one: then the day's 15-minute buckets are the
/// buckets of that day at that fixed offset.
pub fn fixed_offset(tz: Tz, day: NaiveDate) -> Option<i32> {
    let offset_at =
        |t: chrono::NaiveDateTime| tz.offset_from_utc_datetime(&t).fix().local_minus_utc();
    let midnight = day.and_hms_opt(0, 0, 0)?;
    // The offset at the local midnight's neighbourhood is a guess to be confirmed.
    let guess = offset_at(midnight - TimeDelta::hours(12)) / 60;
    let start = midnight - TimeDelta::minutes(i64::from(guess));
    let end = day.checked_add_days(Days::new(1))?.and_hms_opt(0, 0, 0)?
        - TimeDelta::minutes(i64::from(guess));
    let quarter = TimeDelta::minutes(BUCKET_MINUTES);
    [
        start - quarter,
        start,
        start + TimeDelta::hours(12),
        end - quarter,
        end,
    ]
    .into_iter()
    .all(|t| offset_at(t) == guess * 60)
    .then_some(guess)
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

#[cfg(test)]
#[path = "plan_tests.rs"]
mod tests;
