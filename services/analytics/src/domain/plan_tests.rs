//! Tests of the query plan: which rows answer which days.

use super::*;
use crate::domain::periods::Granularity;
use crate::domain::query::{KpiFilter, ReportRange};
use uuid::Uuid;

fn d(s: &str) -> NaiveDate {
    s.parse().expect("date")
}

fn request(tz: Tz, from: &str, to: &str, g: Granularity) -> KpiRequest {
    KpiRequest {
        range: ReportRange::new(d(from), d(to), g).expect("range"),
        filter: KpiFilter::default(),
        tz,
        today: d(to),
    }
}

fn year(tz: Tz) -> KpiRequest {
    request(tz, "2025-01-01", "2025-12-31", Granularity::Day)
}

fn all() -> Slice {
    ("", String::new())
}

fn piece(first: &str, last: &str, source: Source) -> Piece {
    Piece {
        first: d(first),
        last: d(last),
        source,
    }
}

fn days(utc_offset: i32) -> Source {
    Source::Days {
        utc_offset,
        slice: all(),
    }
}

#[test]
fn a_year_in_utc_or_china_is_one_run_of_whole_days() {
    assert_eq!(
        year(Tz::UTC).plan(),
        vec![piece("2025-01-01", "2025-12-31", days(0))]
    );
    assert_eq!(
        year(Tz::Asia__Shanghai).plan(),
        vec![piece("2025-01-01", "2025-12-31", days(480))]
    );
    assert_eq!(
        year(Tz::Asia__Singapore).plan(),
        vec![piece("2025-01-01", "2025-12-31", days(480))],
        "another zone of the same offset"
    );
}

#[test]
fn a_zone_with_summer_time_reads_whole_days_only_while_it_keeps_a_kept_offset() {
    // London is UTC+0 until 2025-03-30 01:00 UTC and from 2025-10-26 01:00 UTC; the days of
    // the changes and the summer (UTC+1) are read from the hourly slices.
    assert_eq!(
        year(Tz::Europe__London).plan(),
        vec![
            piece("2025-01-01", "2025-03-29", days(0)),
            piece("2025-03-30", "2025-10-26", Source::Hours(all())),
            piece("2025-10-27", "2025-12-31", days(0)),
        ]
    );
}

#[test]
fn other_whole_hour_zones_read_hourly_slices_and_the_rest_fifteen_minute_rows() {
    let tokyo = year(Tz::Asia__Tokyo).plan();
    assert_eq!(
        tokyo,
        vec![piece("2025-01-01", "2025-12-31", Source::Hours(all()))]
    );
    for tz in [Tz::Asia__Kolkata, Tz::Asia__Kathmandu] {
        assert_eq!(
            year(tz).plan(),
            vec![piece("2025-01-01", "2025-12-31", Source::Quarters)],
            "{tz}"
        );
    }
}

#[test]
fn weeks_and_months_plan_their_whole_periods() {
    // 2025-03-04 is a Tuesday: the week of Monday 2025-03-03.
    let weeks = request(Tz::UTC, "2025-03-04", "2025-03-10", Granularity::Week).plan();
    assert_eq!(weeks, vec![piece("2025-03-03", "2025-03-16", days(0))]);
    let months = request(
        Tz::Europe__London,
        "2025-03-10",
        "2025-04-10",
        Granularity::Month,
    )
    .plan();
    assert_eq!(
        months,
        vec![
            piece("2025-03-01", "2025-03-29", days(0)),
            piece("2025-03-30", "2025-04-30", Source::Hours(all())),
        ],
        "March is summed from both"
    );
}

#[test]
fn one_filter_dimension_reads_its_slice_two_or_an_agent_the_fifteen_minute_rows() {
    let mut r = year(Tz::UTC);
    r.filter.city = Some("北京".into());
    r.filter.merchant_id = Some(Uuid::nil());
    let city = ("city", "北京".to_owned());
    assert_eq!(r.slice(), Some(city.clone()), "a merchant's own slice");
    assert_eq!(
        r.plan(),
        vec![piece(
            "2025-01-01",
            "2025-12-31",
            Source::Days {
                utc_offset: 0,
                slice: city
            }
        )]
    );
    let mut two = r.clone();
    two.filter.service_level = Some("express".into());
    let mut agent = r.clone();
    agent.filter.handler_id = Some(Uuid::nil());
    for r in [two, agent] {
        assert_eq!(r.slice(), None);
        assert_eq!(
            r.plan(),
            vec![piece("2025-01-01", "2025-12-31", Source::Quarters)]
        );
    }
}

#[test]
fn a_day_is_at_a_fixed_offset_only_when_the_zone_keeps_it_all_day() {
    assert_eq!(fixed_offset(Tz::UTC, d("2025-06-01")), Some(0));
    assert_eq!(fixed_offset(Tz::Asia__Shanghai, d("2025-06-01")), Some(480));
    assert_eq!(fixed_offset(Tz::Asia__Kolkata, d("2025-06-01")), Some(330));
    assert_eq!(
        fixed_offset(Tz::America__New_York, d("2025-06-01")),
        Some(-240)
    );
    assert_eq!(fixed_offset(Tz::Europe__London, d("2025-03-30")), None);
    assert_eq!(fixed_offset(Tz::Europe__London, d("2025-10-26")), None);
    assert_eq!(fixed_offset(Tz::America__New_York, d("2025-03-09")), None);
    assert_eq!(fixed_offset(Tz::America__New_York, d("2025-11-02")), None);
    assert_eq!(
        fixed_offset(Tz::America__New_York, d("2025-11-03")),
        Some(-300)
    );
}
