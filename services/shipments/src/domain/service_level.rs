//! Service levels and their default transit times (SPEC §5).

use chrono::Duration;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

kuaidi_shared::vocabulary! {
// NOTE: external contract — merchants send and receive these values.
#[derive(Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ServiceLevel {
    Standard,
    Express,
    SameDay,
    Scheduled,
    ColdChain,
    International,
}

}

impl ServiceLevel {
    /// Default transit time when the lane has too little history: standard 72 h, express 24 h,
    /// same-day 12 h (SPEC §5); the others are Kuaidi's published defaults.
    pub fn default_transit(self) -> Duration {
        Duration::hours(match self {
            Self::Standard => 72,
            Self::Express => 24,
            Self::SameDay => 12,
            Self::Scheduled => 48,
            Self::ColdChain => 48,
            Self::International => 168,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use strum::VariantArray;

    #[test]
    fn every_level_round_trips_and_spec_transit_times_hold() {
        for &l in ServiceLevel::VARIANTS {
            assert_eq!(ServiceLevel::parse(l.as_str()), Some(l));
        }
        assert_eq!(
            ServiceLevel::Standard.default_transit(),
            Duration::hours(72)
        );
        assert_eq!(ServiceLevel::Express.default_transit(), Duration::hours(24));
        assert_eq!(ServiceLevel::SameDay.default_transit(), Duration::hours(12));
        assert_eq!(ServiceLevel::parse("overnight"), None);
    }
}
