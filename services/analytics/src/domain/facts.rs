//! What one event adds to the rollups: a 15-minute bucket, the dimensions and the counters.
//! Every KPI is a numerator and a denominator among [`Counters`], so any period's ratio is a
//! sum divided by a sum.

use chrono::{DateTime, DurationRound, TimeDelta, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// The rollups' time grain. Every zone offset in use is a multiple of 15 minutes, so a local
/// day in any IANA zone is an exact union of buckets.
pub const BUCKET_MINUTES: i64 = 15;

/// The start of the 15-minute bucket holding `t`.
pub fn bucket_of(t: DateTime<Utc>) -> DateTime<Utc> {
    t.duration_trunc(TimeDelta::minutes(BUCKET_MINUTES))
        .unwrap_or(t)
}

/// The dimensions of a rollup row; `""` and the nil UUID mean "not known".
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Dims {
    pub city: String,
    pub province: String,
    pub hub: String,
    pub service_level: String,
    pub value_tier: String,
    pub merchant_id: Uuid,
    pub category: String,
    pub handler_id: Uuid,
}

/// Counters of the rollup, for one event or summed over a period. The names are the columns
/// of `kpi_rollup` (checked by a test against [`COUNTERS`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Counters {
    pub shipments: i64,
    pub delivered: i64,
    pub delivered_on_time: i64,
    pub transit_count: i64,
    pub transit_seconds: i64,
    pub damaged: i64,
    pub lost: i64,
    pub excepted: i64,
    pub complaints: i64,
    pub first_responses: i64,
    pub first_responses_in_sla: i64,
    pub closed: i64,
    pub closed_24h: i64,
    pub closed_48h: i64,
    pub reopened: i64,
    pub sla_breaches: i64,
    pub surveys: i64,
    pub survey_overall_sum: i64,
    pub surveys_satisfied: i64,
    pub new_customers: i64,
    pub claims_paid_minor: i64,
}

/// The counter columns, in the order of [`Counters`].
pub const COUNTERS: [&str; 21] = [
    "shipments",
    "delivered",
    "delivered_on_time",
    "transit_count",
    "transit_seconds",
    "damaged",
    "lost",
    "excepted",
    "complaints",
    "first_responses",
    "first_responses_in_sla",
    "closed",
    "closed_24h",
    "closed_48h",
    "reopened",
    "sla_breaches",
    "surveys",
    "survey_overall_sum",
    "surveys_satisfied",
    "new_customers",
    "claims_paid_minor",
];

/// Calls `$m!` with every counter's name, in the order of [`Counters`] (so no operation on
/// counters forgets one).
macro_rules! every_counter {
    ($m:ident) => {
        $m!(
            shipments,
            delivered,
            delivered_on_time,
            transit_count,
            transit_seconds,
            damaged,
            lost,
            excepted,
            complaints,
            first_responses,
            first_responses_in_sla,
            closed,
            closed_24h,
            closed_48h,
            reopened,
            sla_breaches,
            surveys,
            survey_overall_sum,
            surveys_satisfied,
            new_customers,
            claims_paid_minor
        )
    };
}

/// Counters of two pieces of a period add up to the period's (every KPI is sum / sum).
impl std::ops::AddAssign for Counters {
    fn add_assign(&mut self, other: Self) {
        macro_rules! add {
            ($($f:ident),+) => {{
                let Counters { $($f),+ } = other;
                $(self.$f += $f;)+
            }};
        }
        every_counter!(add);
    }
}

/// What takes an increment back (a fact counted at a time that turned out not to be its own).
impl std::ops::Neg for Counters {
    type Output = Self;

    fn neg(self) -> Self {
        macro_rules! negated {
            ($($f:ident),+) => {{
                let Counters { $($f),+ } = self;
                Counters { $($f: -$f),+ }
            }};
        }
        every_counter!(negated)
    }
}

/// One increment of the rollups.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Fact {
    pub bucket: DateTime<Utc>,
    #[serde(flatten)]
    pub dims: Dims,
    #[serde(flatten)]
    pub counters: Counters,
}

impl Fact {
    pub fn new(at: DateTime<Utc>, dims: Dims, counters: Counters) -> Self {
        Self {
            bucket: bucket_of(at),
            dims,
            counters,
        }
    }
}

/// A dimension value as stored and filtered on: trimmed, `""` when unknown, without control
/// characters (PostgreSQL refuses NUL in text, which would dead-letter the event).
pub fn dimension(value: Option<&str>) -> String {
    value
        .unwrap_or_default()
        .trim()
        .chars()
        .filter(|c| !c.is_control())
        .collect()
}

/// What a closed case adds: closed, and closed within 24 / 48 h of receipt.
pub fn closing(received_at: DateTime<Utc>, closed_at: DateTime<Utc>) -> Counters {
    let took = closed_at - received_at;
    Counters {
        closed: 1,
        closed_24h: i64::from(took <= TimeDelta::hours(24)),
        closed_48h: i64::from(took <= TimeDelta::hours(48)),
        ..Counters::default()
    }
}

/// What a survey adds: one survey, its overall score, satisfied when 4 or more.
pub fn survey(overall: i16) -> Counters {
    let overall = i64::from(overall.clamp(1, 5));
    Counters {
        surveys: 1,
        survey_overall_sum: overall,
        surveys_satisfied: i64::from(overall >= 4),
        ..Counters::default()
    }
}

/// What a delivery adds: delivered, on time or not. Its transit time is a fact of its own
/// ([`transit`]): the first `in_transit` scan may arrive after the delivery.
pub fn delivery(on_time: bool) -> Counters {
    Counters {
        delivered: 1,
        delivered_on_time: i64::from(on_time),
        ..Counters::default()
    }
}

/// What a delivered shipment's transit time adds, once both its first `in_transit` scan and its
/// delivery are known (whichever arrives last): one sample of `delivered_at − in_transit_at`
/// (none when the scan is after the delivery).
pub fn transit(delivered_at: DateTime<Utc>, in_transit_at: DateTime<Utc>) -> Option<Counters> {
    let seconds = (delivered_at - in_transit_at).num_seconds();
    (seconds >= 0).then_some(Counters {
        transit_count: 1,
        transit_seconds: seconds,
        ..Counters::default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{NaiveDate, Offset, TimeZone};
    use chrono_tz::Tz;

    /// The local day a bucket is counted on in `tz` (what `date_trunc('day', bucket AT TIME
    /// ZONE tz)` gives).
    fn local_day(bucket: DateTime<Utc>, tz: Tz) -> NaiveDate {
        bucket.with_timezone(&tz).date_naive()
    }

    #[test]
    fn buckets_fall_on_the_local_day_of_their_events_across_midnight() {
        let shanghai = Tz::Asia__Shanghai;
        // 15:59 UTC is 23:59 in Shanghai on the 25th; 16:00 UTC is midnight, the 26th.
        let before = bucket_of(at("2026-11-25T15:59:59Z"));
        let after = bucket_of(at("2026-11-25T16:00:00Z"));
        assert_eq!(local_day(before, shanghai).to_string(), "2026-11-25");
        assert_eq!(local_day(after, shanghai).to_string(), "2026-11-26");
        // Kathmandu is UTC+5:45: its midnight is 18:15 UTC, a bucket boundary too.
        let kathmandu = Tz::Asia__Kathmandu;
        assert_eq!(
            local_day(bucket_of(at("2026-11-25T18:14:59Z")), kathmandu).to_string(),
            "2026-11-25"
        );
        assert_eq!(
            local_day(bucket_of(at("2026-11-25T18:15:00Z")), kathmandu).to_string(),
            "2026-11-26"
        );
    }

    #[test]
    fn every_zone_in_use_is_a_whole_number_of_quarter_hours_from_utc() {
        let days = NaiveDate::from_ymd_opt(2026, 1, 1)
            .expect("date")
            .iter_days()
            .take(365);
        for day in days {
            for tz in chrono_tz::TZ_VARIANTS {
                let t = Utc.from_utc_datetime(&day.and_hms_opt(12, 0, 0).expect("noon"));
                let offset = tz
                    .offset_from_utc_datetime(&t.naive_utc())
                    .fix()
                    .local_minus_utc();
                assert_eq!(offset % (BUCKET_MINUTES as i32 * 60), 0, "{tz} on {day}");
            }
        }
    }

    use kuaidi_shared::testing::time as at;

    #[test]
    fn the_counter_names_are_the_serialised_fields_in_order() {
        let value = serde_json::to_value(Counters::default()).expect("json");
        let keys: Vec<_> = value.as_object().expect("object").keys().cloned().collect();
        let mut expected: Vec<_> = COUNTERS.iter().map(|s| s.to_string()).collect();
        expected.sort();
        let mut keys_sorted = keys.clone();
        keys_sorted.sort();
        assert_eq!(keys_sorted, expected);
    }

    #[test]
    fn counters_add_field_by_field() {
        let mut sum = Counters {
            shipments: 2,
            claims_paid_minor: 5,
            ..Counters::default()
        };
        sum += Counters {
            shipments: 3,
            delivered: 1,
            claims_paid_minor: 7,
            ..Counters::default()
        };
        assert_eq!(
            sum,
            Counters {
                shipments: 5,
                delivered: 1,
                claims_paid_minor: 12,
                ..Counters::default()
            }
        );
        sum += -Counters {
            shipments: 3,
            claims_paid_minor: 7,
            ..Counters::default()
        };
        assert_eq!((sum.shipments, sum.claims_paid_minor), (2, 5), "taken back");
        assert_eq!(sum.delivered, 1);
    }

    #[test]
    fn buckets_are_quarter_hours() {
        assert_eq!(
            bucket_of(at("2026-11-25T23:59:59Z")),
            at("2026-11-25T23:45:00Z")
        );
        assert_eq!(
            bucket_of(at("2026-11-25T10:15:00Z")),
            at("2026-11-25T10:15:00Z")
        );
    }

    #[test]
    fn a_case_closed_after_30_hours_is_within_48_but_not_24() {
        let c = closing(at("2026-11-25T00:00:00Z"), at("2026-11-26T06:00:00Z"));
        assert_eq!((c.closed, c.closed_24h, c.closed_48h), (1, 0, 1));
        let c = closing(at("2026-11-25T00:00:00Z"), at("2026-11-26T00:00:00Z"));
        assert_eq!((c.closed_24h, c.closed_48h), (1, 1), "exactly 24 h counts");
        let c = closing(at("2026-11-25T00:00:00Z"), at("2026-11-28T00:00:00Z"));
        assert_eq!((c.closed_24h, c.closed_48h), (0, 0));
    }

    #[test]
    fn surveys_of_four_or_five_are_satisfied() {
        assert_eq!(survey(4).surveys_satisfied, 1);
        assert_eq!(survey(3).surveys_satisfied, 0);
        assert_eq!(survey(5).survey_overall_sum, 5);
    }

    #[test]
    fn a_delivery_counts_on_time_and_its_transit_is_measured_from_the_first_in_transit_scan() {
        let c = delivery(false);
        assert_eq!(
            (c.delivered, c.delivered_on_time, c.transit_count),
            (1, 0, 0)
        );
        assert_eq!(delivery(true).delivered_on_time, 1);
        let t = transit(at("2026-11-26T12:00:00Z"), at("2026-11-25T12:00:00Z")).expect("sample");
        assert_eq!((t.transit_count, t.transit_seconds), (1, 86_400));
        assert_eq!(t.delivered, 0, "the delivery is counted apart");
        assert_eq!(
            transit(at("2026-11-25T12:00:00Z"), at("2026-11-26T12:00:00Z")),
            None,
            "a scan after the delivery is no transit time"
        );
    }

    #[test]
    fn dimensions_are_trimmed_and_stripped_of_control_characters() {
        assert_eq!(dimension(Some(" 北\u{0}京 ")), "北京");
        assert_eq!(dimension(None), "");
    }
}
