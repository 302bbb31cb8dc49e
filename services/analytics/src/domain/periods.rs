//! Reporting periods: calendar days, ISO weeks (Monday first) and calendar months, between two
//! inclusive dates.

use chrono::{Datelike, Duration, Months, NaiveDate};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Granularity {
    Day,
    Week,
    Month,
}

impl Granularity {
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "day" => Some(Self::Day),
            "week" => Some(Self::Week),
            "month" => Some(Self::Month),
            _ => None,
        }
    }

    /// The name PostgreSQL's `date_trunc` uses.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Day => "day",
            Self::Week => "week",
            Self::Month => "month",
        }
    }

    /// The first day of the period containing `d`.
    pub fn start_of(self, d: NaiveDate) -> NaiveDate {
        match self {
            Self::Day => d,
            Self::Week => d - Duration::days(i64::from(d.weekday().num_days_from_monday())),
            Self::Month => d.with_day(1).unwrap_or(d),
        }
    }

    /// The last day of the period starting at `start`.
    pub fn end_of(self, start: NaiveDate) -> NaiveDate {
        match self {
            Self::Day => start,
            Self::Week => start + Duration::days(6),
            Self::Month => start
                .checked_add_months(Months::new(1))
                .map(|next| next - Duration::days(1))
                .unwrap_or(start),
        }
    }

    /// The longest range a query may span, in days.
    pub fn max_span_days(self) -> i64 {
        match self {
            Self::Day => 400,
            Self::Week => 7 * 530,
            Self::Month => 3700,
        }
    }
}

/// One reporting period, both ends inclusive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Period {
    pub start: NaiveDate,
    pub end: NaiveDate,
}

/// Every period that overlaps `from..=to`, in order.
pub fn periods(from: NaiveDate, to: NaiveDate, g: Granularity) -> Vec<Period> {
    let mut out = Vec::new();
    let mut start = g.start_of(from);
    while start <= to {
        let end = g.end_of(start);
        out.push(Period { start, end });
        start = end + Duration::days(1);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("date")
    }

    #[test]
    fn days_are_one_period_each() {
        let p = periods(d("2026-11-01"), d("2026-11-03"), Granularity::Day);
        assert_eq!(p.len(), 3);
        assert_eq!(
            p[2],
            Period {
                start: d("2026-11-03"),
                end: d("2026-11-03")
            }
        );
    }

    #[test]
    fn weeks_start_on_monday() {
        // 2026-11-25 is a Wednesday.
        let p = periods(d("2026-11-25"), d("2026-12-01"), Granularity::Week);
        assert_eq!(
            p[0],
            Period {
                start: d("2026-11-23"),
                end: d("2026-11-29")
            }
        );
        assert_eq!(
            p[1],
            Period {
                start: d("2026-11-30"),
                end: d("2026-12-06")
            }
        );
        assert_eq!(p.len(), 2);
    }

    #[test]
    fn months_are_calendar_months_across_year_ends_and_leap_days() {
        let p = periods(d("2027-12-15"), d("2028-02-10"), Granularity::Month);
        assert_eq!(
            p,
            vec![
                Period {
                    start: d("2027-12-01"),
                    end: d("2027-12-31")
                },
                Period {
                    start: d("2028-01-01"),
                    end: d("2028-01-31")
                },
                Period {
                    start: d("2028-02-01"),
                    end: d("2028-02-29")
                },
            ]
        );
    }
}
