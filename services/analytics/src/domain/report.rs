//! From summed rollup counters to one figure row per period: zero-filled, with the derived
//! rates. Sums come from SQL; this only lines them up with the periods.

use chrono::NaiveDate;
use std::collections::BTreeMap;

use super::periods::Period;
use super::query::ReportRange;

/// Counters of the rollup (`kpi_daily`), for one day or summed over a period. A new counter
/// column is a new field here.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    pub shipments: i64,
    pub complaints: i64,
}

/// The figures of one period.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PeriodFigures {
    pub period: Period,
    pub counts: Counts,
}

impl PeriodFigures {
    /// complaints / shipments × 10 000, rounded to 2 decimals; `None` without shipments.
    pub fn complaint_rate_per_10k(&self) -> Option<f64> {
        per_10k(self.counts.complaints, self.counts.shipments)
    }
}

/// `numerator / denominator × 10 000`, rounded to 2 decimals; `None` when the denominator is 0.
pub fn per_10k(numerator: i64, denominator: i64) -> Option<f64> {
    (denominator > 0).then(|| {
        let rate = numerator as f64 * 10_000.0 / denominator as f64;
        (rate * 100.0).round() / 100.0
    })
}

/// One row per period of `range`, in order, with zeros where `sums` (keyed by period start)
/// has nothing.
pub fn fill(range: &ReportRange, sums: &BTreeMap<NaiveDate, Counts>) -> Vec<PeriodFigures> {
    range
        .periods()
        .into_iter()
        .map(|period| PeriodFigures {
            period,
            counts: sums.get(&period.start).copied().unwrap_or_default(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::periods::Granularity;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("date")
    }

    fn range(from: &str, to: &str, g: Granularity) -> ReportRange {
        ReportRange::new(d(from), d(to), g).expect("valid range")
    }

    fn counts(shipments: i64, complaints: i64) -> Counts {
        Counts {
            shipments,
            complaints,
        }
    }

    #[test]
    fn periods_without_rollup_rows_are_zero_filled() {
        let sums = BTreeMap::from([(d("2026-03-02"), counts(2, 1))]);

        let rows = fill(&range("2026-03-01", "2026-03-15", Granularity::Week), &sums);

        let starts: Vec<_> = rows.iter().map(|r| r.period.start).collect();
        assert_eq!(
            starts,
            vec![d("2026-02-23"), d("2026-03-02"), d("2026-03-09")]
        );
        let figures: Vec<_> = rows.iter().map(|r| r.counts).collect();
        assert_eq!(figures, vec![counts(0, 0), counts(2, 1), counts(0, 0)]);
        assert_eq!(
            rows[0].complaint_rate_per_10k(),
            None,
            "no shipments, no rate"
        );
    }

    #[test]
    fn an_empty_rollup_gives_one_zero_row_per_day() {
        let rows = fill(
            &range("2026-11-01", "2026-11-30", Granularity::Day),
            &BTreeMap::new(),
        );
        assert_eq!(rows.len(), 30);
        assert!(rows.iter().all(|r| r.counts == Counts::default()));
    }

    #[test]
    fn sums_keyed_by_month_start_land_on_their_month() {
        let sums = BTreeMap::from([(d("2026-03-01"), counts(3, 0))]);
        let rows = fill(
            &range("2026-02-15", "2026-03-15", Granularity::Month),
            &sums,
        );
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].counts, counts(0, 0));
        assert_eq!(rows[1].counts, counts(3, 0));
        assert_eq!(rows[1].period.end, d("2026-03-31"));
    }

    #[test]
    fn complaint_rate_is_per_ten_thousand_shipments_to_two_decimals() {
        assert_eq!(per_10k(1, 3), Some(3333.33));
        assert_eq!(per_10k(2, 3), Some(6666.67));
        assert_eq!(per_10k(0, 10), Some(0.0));
        assert_eq!(per_10k(5, 0), None);
        assert_eq!(
            per_10k(7, 1),
            Some(70_000.0),
            "more complaints than shipments is allowed"
        );
    }
}
