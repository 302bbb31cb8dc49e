//! Tests of the KPI query parsing.

use super::*;

fn parse(q: KpiQuery, now: DateTime<Utc>) -> Result<KpiRequest, ApiError> {
    q.into_request(now)
}

fn d(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("date")
}

fn q(from: Option<&str>, to: Option<&str>, g: Option<&str>) -> KpiQuery {
    KpiQuery {
        from: from.map(Into::into),
        to: to.map(Into::into),
        granularity: g.map(Into::into),
        ..KpiQuery::default()
    }
}

fn fields(err: ApiError) -> Vec<String> {
    match err {
        ApiError::Validation(errors) => errors.into_iter().map(|e| e.field).collect(),
        other => panic!("expected a validation error, got {other:?}"),
    }
}

const TODAY: &str = "2026-11-25";

fn now() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-11-25T12:00:00Z")
        .expect("time")
        .to_utc()
}

#[test]
fn the_default_is_the_last_30_days_by_day_up_to_today() {
    let r = parse(q(None, None, None), now()).expect("valid");
    assert_eq!(
        r.range,
        ReportRange {
            from: d("2026-10-27"),
            to: d(TODAY),
            granularity: Granularity::Day
        }
    );
    assert_eq!(r.range.periods().len(), 30);
}

#[test]
fn a_lone_to_ends_30_days_and_a_lone_from_runs_to_today() {
    let r = parse(q(None, Some("2026-03-31"), None), now()).expect("valid");
    assert_eq!(
        (r.range.from, r.range.to),
        (d("2026-03-02"), d("2026-03-31"))
    );
    let r = parse(q(Some("2026-11-20"), None, None), now()).expect("valid");
    assert_eq!((r.range.from, r.range.to), (d("2026-11-20"), d(TODAY)));
}

#[test]
fn four_hundred_days_by_day_are_allowed_and_four_hundred_and_one_are_not() {
    // 2025-10-22 ..= 2026-11-25 is exactly 400 days.
    let ok = parse(q(Some("2025-10-22"), Some(TODAY), Some("day")), now());
    assert_eq!(ok.expect("400 days").range.periods().len(), 400);
    let too_long = parse(q(Some("2025-10-21"), Some(TODAY), Some("day")), now());
    assert_eq!(fields(too_long.expect_err("401 days")), vec!["from"]);
}

#[test]
fn a_range_too_long_by_day_is_fine_by_week_or_month() {
    for g in ["week", "month"] {
        assert!(
            parse(q(Some("2024-01-01"), Some(TODAY), Some(g)), now()).is_ok(),
            "three years by {g}"
        );
    }
    let weeks = parse(q(Some("2010-01-01"), Some(TODAY), Some("week")), now());
    assert_eq!(fields(weeks.expect_err("over 400 weeks")), vec!["from"]);
}

#[test]
fn from_after_to_is_refused_on_from() {
    let err = parse(q(Some("2026-11-30"), Some("2026-11-01"), None), now());
    assert_eq!(fields(err.expect_err("reversed")), vec!["from"]);
}

#[test]
fn malformed_dates_are_refused_on_their_field() {
    for bad in [
        "2026-13-01",
        "2026-02-30",
        "yesterday",
        "2026-1-5",
        "+2026-01-01",
        "0000-01-01",
        "20261125",
        "2026-11-25T25:00:00Z",
        "2026-11-25T10:00:00",
        "2026-11-25 10:00:00 8:00",
        "0000-01-01T00:00:00Z",
    ] {
        let err = parse(q(None, Some(bad), None), now());
        assert_eq!(fields(err.expect_err(bad)), vec!["to"], "{bad}");
    }
}

#[test]
fn an_unknown_granularity_is_refused_and_reported_with_bad_dates() {
    let err = parse(q(Some("nope"), None, Some("hour")), now());
    assert_eq!(
        fields(err.expect_err("two faults")),
        vec!["from", "granularity"]
    );
}

#[test]
fn blank_filters_mean_any_and_others_are_trimmed() {
    let query = KpiQuery {
        city: Some("  ".into()),
        province: Some(" 北京 ".into()),
        tz: Some("UTC".into()),
        ..KpiQuery::default()
    };
    let r = parse(query, now()).expect("valid");
    assert_eq!(r.filter.city, None);
    assert_eq!(r.filter.province.as_deref(), Some("北京"));
}

#[test]
fn text_filters_with_control_characters_or_too_long_are_refused() {
    let query = KpiQuery {
        city: Some("北\u{0}京".into()),
        service_level: Some("x".repeat(MAX_FILTER_CHARS + 1)),
        ..KpiQuery::default()
    };
    let err = parse(query, now());
    assert_eq!(
        fields(err.expect_err("bad filters")),
        vec!["city", "service_level"]
    );
}

#[test]
fn a_service_level_or_value_tier_outside_their_vocabularies_is_refused_by_name() {
    let query = KpiQuery {
        service_level: Some("teleport".into()),
        value_tier: Some("gold".into()),
        ..KpiQuery::default()
    };
    match parse(query, now()).expect_err("unknown values") {
        ApiError::Validation(errors) => {
            let refused: Vec<_> = errors
                .iter()
                .map(|e| (e.field.as_str(), e.message.as_str()))
                .collect();
            assert_eq!(
                refused,
                [
                    (
                        "service_level",
                        "must be one of: standard, express, same_day, scheduled, cold_chain, \
                         international"
                    ),
                    ("value_tier", "must be one of: key, ordinary, small")
                ]
            );
        }
        other => panic!("expected a validation error, got {other:?}"),
    }
    let known = KpiQuery {
        service_level: Some(" same_day ".into()),
        value_tier: Some("small".into()),
        ..KpiQuery::default()
    };
    let r = parse(known, now()).expect("known values");
    assert_eq!(
        (
            r.filter.service_level.as_deref(),
            r.filter.value_tier.as_deref()
        ),
        (Some("same_day"), Some("small"))
    );
}

#[test]
fn unknown_zones_and_parameters_and_bad_merchant_ids_are_refused_by_name() {
    let mut query = KpiQuery {
        tz: Some("Mars/Olympus".into()),
        merchant_id: Some("nope".into()),
        ..KpiQuery::default()
    };
    query.unknown.insert("colour".into(), "red".into());
    let err = parse(query, now());
    assert_eq!(
        fields(err.expect_err("bad")),
        vec!["colour", "merchant_id", "tz"]
    );
}

#[test]
fn today_is_the_local_day_of_the_zone_asked_for() {
    let late = DateTime::parse_from_rfc3339("2026-11-25T20:00:00Z")
        .expect("time")
        .to_utc();
    let query = KpiQuery {
        tz: Some("Asia/Shanghai".into()),
        value_tier: Some("key".into()),
        ..KpiQuery::default()
    };
    let r = parse(query, late).expect("valid");
    assert_eq!(r.range.to, d("2026-11-26"), "04:00 on the 26th in Shanghai");
    assert_eq!(r.tz, Tz::Asia__Shanghai);
    assert_eq!(r.filter.value_tier.as_deref(), Some("key"));
    let utc = parse(KpiQuery::default(), late).expect("valid");
    assert_eq!(utc.range.to, d(TODAY));
}

#[test]
fn the_rows_cover_whole_periods_beyond_the_requested_days() {
    let r = parse(
        q(Some("2026-03-04"), Some("2026-03-10"), Some("week")),
        now(),
    )
    .expect("valid");
    assert_eq!(r.range.days(), (d("2026-03-02"), d("2026-03-15")));
    let r = parse(
        q(Some("2026-02-10"), Some("2026-03-10"), Some("month")),
        now(),
    )
    .expect("valid");
    assert_eq!(r.range.days(), (d("2026-02-01"), d("2026-03-31")));
}

#[test]
fn rfc3339_timestamps_stand_for_their_day_in_the_zone_asked_for() {
    // 20:00 UTC on the 24th is 04:00 on the 25th in Shanghai.
    let query = KpiQuery {
        tz: Some("Asia/Shanghai".into()),
        ..q(
            Some("2026-11-24T20:00:00Z"),
            Some("2026-11-25T23:30:00+08:00"),
            None,
        )
    };
    let r = parse(query, now()).expect("valid");
    assert_eq!((r.range.from, r.range.to), (d(TODAY), d(TODAY)));
    let utc = parse(q(Some("2026-11-24T20:00:00Z"), None, None), now()).expect("valid");
    assert_eq!(utc.range.from, d("2026-11-24"), "the UTC day without `tz`");
    // A `+` left unencoded in the query string arrives as a space.
    let plus = parse(q(None, Some("2026-11-25T01:00:00 08:00"), None), now()).expect("valid");
    assert_eq!(plus.range.to, d("2026-11-24"), "17:00 UTC on the 24th");
}
