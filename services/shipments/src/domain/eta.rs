//! Estimated delivery (SPEC §5): the p80 of a lane's observed transit times over the last 30
//! days when it has at least 20 deliveries, else the service level's default transit time.

use chrono::{DateTime, Duration, Utc};

use super::ServiceLevel;

/// Deliveries a lane needs before its own history is trusted.
pub const MIN_SAMPLES: i64 = 20;
/// How far back lane history is read.
pub const LANE_WINDOW: Duration = Duration::days(30);
/// An ETA moving later by more than this is told to the customer.
pub const NOTIFY_SLIP: Duration = Duration::hours(12);

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
    /// The 80th percentile of `delivered_at - created_at`.
    pub p80_transit: Duration,
    pub samples: i64,
}

/// The estimated delivery time of a shipment created at `created_at`.
pub fn estimate(
    created_at: DateTime<Utc>,
    level: ServiceLevel,
    lane: Option<LaneStats>,
) -> DateTime<Utc> {
    let transit = match lane {
        Some(s) if s.samples >= MIN_SAMPLES => s.p80_transit,
        _ => level.default_transit(),
    };
    created_at + transit
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
            estimate(created(), ServiceLevel::Express, Some(stats)),
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
            estimate(created(), ServiceLevel::Express, Some(thin)),
            created() + Duration::hours(24)
        );
        assert_eq!(
            estimate(created(), ServiceLevel::Standard, None),
            created() + Duration::hours(72)
        );
    }
}
