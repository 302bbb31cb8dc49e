//! Estimated delivery (SPEC §5): the p80 of a lane's observed transit times over the last 30
//! days *default* when it has at least 20 deliveries *default*, else the service level's
//! default transit time. Both numbers are configuration ([`EtaRules`], `[eta]`).
//!
//! A transit time is `delivered_at - created_at` (the estimate is counted from the shipment's
//! creation too). Only sane samples count: a delivery at or before its shipment's creation (a
//! backdated scan, an import of old events) or longer than `max_transit_days` is left out of
//! the lane's history. And an estimate is never in the past: a moving parcel whose lane says it
//! should have arrived is estimated now (each later scan moves it on), never before.

use chrono::{DateTime, Duration, Utc};

use super::ServiceLevel;

/// An ETA moving later by more than this is told to the customer.
pub const NOTIFY_SLIP: Duration = Duration::hours(12);

/// When a lane's own history is trusted (`[eta]`, `KUAIDI_SHIPMENTS__ETA__...`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize)]
pub struct EtaRules {
    /// How far back lane history is read, in days (default 30).
    pub lane_window_days: u32,
    /// Deliveries a lane needs in that window before its own p80 is used (default 20).
    pub min_samples: u32,
    /// A delivery that took longer than this many days after its shipment's creation is not a
    /// sample of its lane (default 60): a parcel found after months says nothing of the lane.
    #[serde(default = "default_max_transit_days")]
    pub max_transit_days: u32,
}

fn default_max_transit_days() -> u32 {
    EtaRules::DEFAULT.max_transit_days
}

impl EtaRules {
    /// The SPEC's defaults, as in `config/default.toml`.
    pub const DEFAULT: Self = Self {
        lane_window_days: 30,
        min_samples: 20,
        max_transit_days: 60,
    };

    /// How far back lane history is read.
    pub fn lane_window(&self) -> Duration {
        Duration::days(i64::from(self.lane_window_days))
    }
}

/// A lane: origin city → destination city, service level.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Lane {
    pub origin_city: String,
    pub destination_city: String,
    pub service_level: String,
}

/// What the lane's recent deliveries say.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LaneStats {
    /// The 80th percentile of `delivered_at - created_at` over the sane samples (above zero,
    /// at most `max_transit_days`).
    pub p80_transit: Duration,
    pub samples: i64,
}

/// The estimated delivery time, at `now`, of a shipment created at `created_at`: the lane's
/// p80 (or the service level's default) after its creation, and never before `now`.
pub fn estimate(
    created_at: DateTime<Utc>,
    now: DateTime<Utc>,
    level: ServiceLevel,
    lane: Option<LaneStats>,
    rules: &EtaRules,
) -> DateTime<Utc> {
    let transit = match lane {
        Some(s)
            if s.samples >= i64::from(rules.min_samples) && s.p80_transit > Duration::zero() =>
        {
            s.p80_transit
        }
        _ => level.default_transit(),
    };
    (created_at + transit).max(now)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn created() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 1, 0, 0, 0)
            .single()
            .expect("valid time")
    }

    #[test]
    fn a_lane_with_20_deliveries_uses_its_own_p80() {
        let stats = LaneStats {
            p80_transit: Duration::hours(30),
            samples: 20,
        };
        assert_eq!(
            estimate(
                created(),
                created(),
                ServiceLevel::Express,
                Some(stats),
                &EtaRules::DEFAULT
            ),
            created() + Duration::hours(30)
        );
    }

    #[test]
    fn a_lane_with_too_little_history_falls_back_to_the_service_level() {
        let thin = LaneStats {
            p80_transit: Duration::hours(30),
            samples: 19,
        };
        assert_eq!(
            estimate(
                created(),
                created(),
                ServiceLevel::Express,
                Some(thin),
                &EtaRules::DEFAULT
            ),
            created() + Duration::hours(24)
        );
        assert_eq!(
            estimate(
                created(),
                created(),
                ServiceLevel::Standard,
                None,
                &EtaRules::DEFAULT
            ),
            created() + Duration::hours(72)
        );
    }

    #[test]
    fn a_configured_sample_threshold_and_window_replace_the_defaults() {
        let rules = EtaRules {
            lane_window_days: 7,
            min_samples: 5,
            ..EtaRules::DEFAULT
        };
        let few = LaneStats {
            p80_transit: Duration::hours(30),
            samples: 5,
        };
        assert_eq!(
            estimate(
                created(),
                created(),
                ServiceLevel::Express,
                Some(few),
                &rules
            ),
            created() + Duration::hours(30),
            "5 deliveries are enough when min_samples is 5"
        );
        assert_eq!(
            estimate(
                created(),
                created(),
                ServiceLevel::Express,
                Some(few),
                &EtaRules::DEFAULT
            ),
            created() + Duration::hours(24),
            "but not by default"
        );
        assert_eq!(rules.lane_window(), Duration::days(7));
        assert_eq!(EtaRules::DEFAULT.lane_window(), Duration::days(30));
    }

    #[test]
    fn an_estimate_is_never_before_now_nor_from_a_lane_faster_than_light() {
        let fast = LaneStats {
            p80_transit: Duration::hours(2),
            samples: 20,
        };
        let later = created() + Duration::hours(10);
        assert_eq!(
            estimate(
                created(),
                later,
                ServiceLevel::Express,
                Some(fast),
                &EtaRules::DEFAULT
            ),
            later,
            "overdue by its lane: expected now, not 8 h ago"
        );
        let backwards = LaneStats {
            p80_transit: Duration::hours(-5),
            samples: 20,
        };
        assert_eq!(
            estimate(
                created(),
                created(),
                ServiceLevel::Express,
                Some(backwards),
                &EtaRules::DEFAULT
            ),
            created() + Duration::hours(24),
            "a lane whose p80 is not positive says nothing"
        );
    }
}
