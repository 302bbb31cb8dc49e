//! Reporting periods: calendar days, ISO weeks (Monday first) and calendar months. A report
//! covers the whole periods that overlap the requested days, so a row's figures are always its
//! whole period's, whatever `from` and `to` were.

use chrono::{Datelike, Duration, Months, NaiveDate};

kuaidi_shared::vocabulary! {
    /// How a report buckets its days: `day` | `week` | `month`, the values of `?granularity=`
    /// (an external contract) and the fields PostgreSQL's `date_trunc` takes (its `week` starts
    /// on Monday too).
    pub enum Granularity {
        Day,
        Week,
        Month,
    }
}

impl Granularity {
    /// The first day of the period containing `d`.
    pub fn start_of(self, d: NaiveDate) -> NaiveDate {
        match self {
            Self::Day => d,
            Self::Week => d - Duration::days(i64::from(d.weekday().num_days_from_monday())),
            Self::Month => d.with_day(1).unwrap_or(d),
        }
    }

    /// The last day of the period containing `d`.
    pub fn end_of(self, d: NaiveDate) -> NaiveDate {
        let start = self.start_of(d);
        match self {
            Self::Day => start,
            Self::Week => start + Duration::days(6),
            Self::Month => start
                .checked_add_months(Months::new(1))
                .and_then(|next| next.pred_opt())
                .unwrap_or(start),
        }
    }

    /// How many periods overlap `from..=to` (0 when `from > to`), without listing them.
    pub fn count(self, from: NaiveDate, to: NaiveDate) -> i64 {
        if from > to {
            return 0;
        }
        match self {
            Self::Day => (to - from).num_days() + 1,
            Self::Week => (self.start_of(to) - self.start_of(from)).num_days() / 7 + 1,
            Self::Month => {
                let index = |d: NaiveDate| i64::from(d.year()) * 12 + i64::from(d.month0());
                index(to) - index(from) + 1
            }
        }
    }
}

/// One reporting period, both ends inclusive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Period {
    pub start: NaiveDate,
    pub end: NaiveDate,
}

/// Every period that overlaps `from..=to`, in order (none when `from > to`).
pub fn periods(from: NaiveDate, to: NaiveDate, g: Granularity) -> Vec<Period> {
    let mut out = Vec::new();
    let mut day = g.start_of(from);
    while day <= to {
        let end = g.end_of(day);
        out.push(Period { start: day, end });
        match end.succ_opt() {
            Some(next) => day = next,
            None => break,
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("date")
    }

    fn p(start: &str, end: &str) -> Period {
        Period {
            start: d(start),
            end: d(end),
        }
    }

    #[test]
    fn days_are_one_period_each_across_a_month_end() {
        let days = periods(d("2026-01-30"), d("2026-02-01"), Granularity::Day);
        assert_eq!(
            days,
            vec![
                p("2026-01-30", "2026-01-30"),
                p("2026-01-31", "2026-01-31"),
                p("2026-02-01", "2026-02-01"),
            ]
        );
    }

    #[test]
    fn weeks_start_on_monday_and_end_on_sunday() {
        // 2026-11-25 is a Wednesday, 2026-11-30 a Monday.
        let weeks = periods(d("2026-11-25"), d("2026-12-01"), Granularity::Week);
        assert_eq!(
            weeks,
            vec![p("2026-11-23", "2026-11-29"), p("2026-11-30", "2026-12-06")]
        );
    }

    #[test]
    fn a_sunday_belongs_to_the_week_of_the_monday_before_it() {
        assert_eq!(Granularity::Week.start_of(d("2026-03-08")), d("2026-03-02"));
        assert_eq!(Granularity::Week.start_of(d("2026-03-09")), d("2026-03-09"));
        assert_eq!(Granularity::Week.end_of(d("2026-03-02")), d("2026-03-08"));
    }

    #[test]
    fn weeks_cross_year_ends_whole() {
        // 2026-12-28 is a Monday; its week ends on Sunday 2027-01-03.
        let weeks = periods(d("2026-12-31"), d("2027-01-04"), Granularity::Week);
        assert_eq!(
            weeks,
            vec![p("2026-12-28", "2027-01-03"), p("2027-01-04", "2027-01-10")]
        );
    }

    #[test]
    fn months_are_calendar_months_across_year_ends_and_leap_days() {
        let months = periods(d("2027-12-15"), d("2028-02-10"), Granularity::Month);
        assert_eq!(
            months,
            vec![
                p("2027-12-01", "2027-12-31"),
                p("2028-01-01", "2028-01-31"),
                p("2028-02-01", "2028-02-29"),
            ]
        );
        assert_eq!(Granularity::Month.end_of(d("2026-02-10")), d("2026-02-28"));
        assert_eq!(Granularity::Month.end_of(d("2026-04-30")), d("2026-04-30"));
    }

    #[test]
    fn a_range_inside_one_period_is_that_whole_period() {
        let month = periods(d("2026-03-10"), d("2026-03-12"), Granularity::Month);
        assert_eq!(month, vec![p("2026-03-01", "2026-03-31")]);
    }

    #[test]
    fn a_reversed_range_has_no_periods() {
        assert!(periods(d("2026-03-10"), d("2026-03-09"), Granularity::Day).is_empty());
        assert_eq!(Granularity::Day.count(d("2026-03-10"), d("2026-03-09")), 0);
    }

    #[test]
    fn counting_periods_agrees_with_listing_them() {
        let cases = [
            ("2026-01-01", "2026-12-31"),
            ("2026-03-01", "2026-03-15"),
            ("2026-11-25", "2027-02-28"),
            ("2024-02-29", "2024-02-29"),
            ("2025-01-05", "2026-02-09"),
        ];
        for (from, to) in cases {
            for g in [Granularity::Day, Granularity::Week, Granularity::Month] {
                assert_eq!(
                    g.count(d(from), d(to)),
                    periods(d(from), d(to), g).len() as i64,
                    "{from}..{to} by {}",
                    g.as_str()
                );
            }
        }
    }

    #[test]
    fn the_last_representable_month_ends_without_overflow() {
        let last = periods(d("9999-12-30"), d("9999-12-31"), Granularity::Month);
        assert_eq!(last, vec![p("9999-12-01", "9999-12-31")]);
    }
}
