//! Service levels and their default transit times (SPEC §5).

use chrono::Duration;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

// NOTE: external contract — merchants send and receive these values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ServiceLevel {
    Standard,
    Express,
    SameDay,
    Scheduled,
    ColdChain,
    International,
}

impl ServiceLevel {
    pub const ALL: [Self; 6] = [
        Self::Standard,
        Self::Express,
        Self::SameDay,
        Self::Scheduled,
        Self::ColdChain,
        Self::International,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Standard => "standard",
            Self::Express => "express",
            Self::SameDay => "same_day",
            Self::Scheduled => "scheduled",
            Self::ColdChain => "cold_chain",
            Self::International => "international",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|l| l.as_str() == s)
    }

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

    #[test]
    fn every_level_round_trips_and_spec_transit_times_hold() {
        for l in ServiceLevel::ALL {
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
