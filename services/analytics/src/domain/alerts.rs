//! Early warning (seed 002 §7.3.1): a complaint spike in a (city, category), or a hub's
//! on-time rate falling well below its usual level.

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Deserializer, Serialize};
use utoipa::ToSchema;

/// Thresholds of the early-warning rules (*defaults* of SPEC §8).
#[derive(Debug, Clone, Copy, PartialEq, Deserialize)]
#[serde(default)]
pub struct AlertRules {
    /// Days of history the mean and σ are taken over.
    pub history_days: i64,
    /// How many standard deviations above the mean today's complaints must be.
    pub sigmas: f64,
    /// The fewest complaints in a day that can be a spike.
    pub min_complaints: i64,
    /// How far (in points of rate, 0.10 = 10 points) a hub's on-time rate must fall below its
    /// mean.
    pub on_time_drop: f64,
    /// The zone whose calendar days the rules count ("today", the 28 days before, an alert's
    /// `day`): the company's business day, not the UTC one.
    #[serde(deserialize_with = "zone")]
    pub time_zone: Tz,
}

/// An IANA zone name, e.g. `Asia/Shanghai`.
fn zone<'de, D: Deserializer<'de>>(d: D) -> Result<Tz, D::Error> {
    let name = String::deserialize(d)?;
    name.parse()
        .map_err(|_| serde::de::Error::custom(format!("unknown time zone {name:?}")))
}

impl Default for AlertRules {
    fn default() -> Self {
        Self {
            history_days: 28,
            sigmas: 3.0,
            min_complaints: 5,
            on_time_drop: 0.10,
            time_zone: Tz::Asia__Shanghai,
        }
    }
}

kuaidi_shared::vocabulary! {
    /// What kind of condition an alert reports.
    #[derive(Serialize, Deserialize, ToSchema)]
    #[serde(rename_all = "snake_case")]
    pub enum AlertKind {
        ComplaintSpike,
        OnTimeDrop,
    }

    /// An alert's state.
    #[derive(Serialize, Deserialize, ToSchema)]
    #[serde(rename_all = "snake_case")]
    pub enum AlertStatus {
        Open,
        Acknowledged,
    }
}

/// A condition found: what was observed and the threshold it crossed.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Breach {
    pub observed: f64,
    pub threshold: f64,
}

/// Mean and population standard deviation of `values` (`None` when empty).
pub fn mean_sigma(values: &[f64]) -> Option<(f64, f64)> {
    if values.is_empty() {
        return None;
    }
    let n = values.len() as f64;
    let mean = values.iter().sum::<f64>() / n;
    let var = values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n;
    Some((mean, var.sqrt()))
}

impl AlertRules {
    /// The business day `now` falls on.
    pub fn today(&self, now: DateTime<Utc>) -> NaiveDate {
        now.with_timezone(&self.time_zone).date_naive()
    }

    /// Today's complaints against the daily counts of the previous `history_days` (days
    /// without complaints are zeros in `history`): a spike when above mean + 3σ and at least
    /// the minimum.
    pub fn complaint_spike(&self, today: i64, history: &[i64]) -> Option<Breach> {
        let mut days: Vec<f64> = history.iter().map(|&c| c as f64).collect();
        days.resize(usize::try_from(self.history_days).unwrap_or(0), 0.0);
        let (mean, sigma) = mean_sigma(&days).unwrap_or((0.0, 0.0));
        let threshold = mean + self.sigmas * sigma;
        (today as f64 > threshold && today >= self.min_complaints).then_some(Breach {
            observed: today as f64,
            threshold,
        })
    }

    /// A hub's on-time rate today against the mean of its daily rates over the previous days
    /// that had deliveries: a drop when `on_time_drop` or more below (no history, no alert).
    pub fn on_time_drop(&self, today: f64, history: &[f64]) -> Option<Breach> {
        let (mean, _) = mean_sigma(history)?;
        let threshold = mean - self.on_time_drop;
        // A hair of tolerance so that exactly 10 points below counts despite float rounding.
        (today <= threshold + 1e-9).then_some(Breach {
            observed: today,
            threshold,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules() -> AlertRules {
        AlertRules::default()
    }

    #[test]
    fn today_is_the_business_day_of_the_configured_zone() {
        let at = |s: &str| DateTime::parse_from_rfc3339(s).expect("time").to_utc();
        // 16:00 UTC is midnight in Shanghai: a new business day while UTC is still on the 25th.
        assert_eq!(
            rules().today(at("2026-11-25T15:59:59Z")).to_string(),
            "2026-11-25"
        );
        assert_eq!(
            rules().today(at("2026-11-25T16:00:00Z")).to_string(),
            "2026-11-26"
        );
        let utc = AlertRules {
            time_zone: Tz::UTC,
            ..rules()
        };
        assert_eq!(
            utc.today(at("2026-11-25T16:00:00Z")).to_string(),
            "2026-11-25"
        );
    }

    #[test]
    fn mean_and_sigma_are_the_population_ones() {
        let (mean, sigma) = mean_sigma(&[2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0]).expect("some");
        assert_eq!((mean, sigma), (5.0, 2.0));
    }

    #[test]
    fn a_quiet_history_makes_five_complaints_a_spike_but_not_four() {
        assert_eq!(
            rules().complaint_spike(5, &[]),
            Some(Breach {
                observed: 5.0,
                threshold: 0.0
            })
        );
        assert_eq!(
            rules().complaint_spike(4, &[]),
            None,
            "below the minimum of 5"
        );
    }

    #[test]
    fn a_spike_must_exceed_the_mean_plus_three_sigma() {
        // 14 days of 2 and 14 of 4 (the rest of 28): mean 3, σ 1 → threshold 6.
        let history: Vec<i64> = (0..28).map(|i| if i % 2 == 0 { 2 } else { 4 }).collect();
        assert_eq!(
            rules().complaint_spike(6, &history),
            None,
            "equal is not above"
        );
        let spike = rules().complaint_spike(7, &history).expect("7 > 6");
        assert!((spike.threshold - 6.0).abs() < 1e-9);
    }

    #[test]
    fn a_busy_city_needs_more_than_its_usual_noise() {
        let history = vec![10; 28];
        assert!(rules().complaint_spike(10, &history).is_none());
        assert!(
            rules().complaint_spike(11, &history).is_some(),
            "σ = 0: any rise"
        );
    }

    #[test]
    fn missing_days_count_as_zero_complaints() {
        // One day of 28 complaints in 28 days: mean 1, σ = sqrt(27) ≈ 5.196 → threshold ≈ 16.6.
        assert!(rules().complaint_spike(16, &[28]).is_none());
        assert!(rules().complaint_spike(17, &[28]).is_some());
    }

    #[test]
    fn an_on_time_rate_ten_points_below_its_mean_is_a_drop() {
        let history = [0.95, 0.95, 0.95];
        assert!(rules().on_time_drop(0.86, &history).is_none());
        let drop = rules().on_time_drop(0.85, &history).expect("10 points");
        assert!((drop.threshold - 0.85).abs() < 1e-9);
        assert!(rules().on_time_drop(0.0, &[]).is_none(), "no history");
    }
}
