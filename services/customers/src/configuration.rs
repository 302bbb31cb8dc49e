//! Settings of the customers service: `config/default.toml`, then `KUAIDI_CUSTOMERS__...`.

use kuaidi_shared::settings::{load_service, ServiceSettings};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::sync::LazyLock;
use utoipa::ToSchema;

use crate::domain::classification::Thresholds;
use crate::domain::holidays::{upcoming, Holiday, Occasion};

pub const DEFAULTS: &str = include_str!("../config/default.toml");

pub fn load() -> anyhow::Result<ServiceSettings> {
    load_service("CUSTOMERS", DEFAULTS)
}

/// What a value tier is entitled to (configuration, SPEC §4).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Entitlements {
    pub dedicated_representative: bool,
    pub fast_lane_complaints: bool,
    pub freight_discount_pct: f64,
}

/// The follow-up rules that are configuration (`[follow_ups]`).
#[derive(Debug, Clone, Copy, PartialEq, Deserialize)]
pub struct FollowUpRules {
    /// Days after a complaint closes by which the customer is called back (*default* 3).
    pub callback_days: i64,
}

impl Default for FollowUpRules {
    fn default() -> Self {
        Self { callback_days: 3 }
    }
}

/// Merges (`[merges]`).
#[derive(Debug, Clone, Copy, PartialEq, Deserialize)]
pub struct MergeRules {
    /// Days during which a merge can be undone (*default* 7).
    pub undo_days: i64,
}

impl Default for MergeRules {
    fn default() -> Self {
        Self { undo_days: 7 }
    }
}

/// How often the scheduled jobs run (`[schedule]`), in seconds.
#[derive(Debug, Clone, Copy, PartialEq, Deserialize)]
pub struct Schedule {
    /// The classification run (*default* hourly).
    pub classification_secs: u64,
    /// The care rules (key-account monthly care, birthday and holiday care, missed callbacks).
    pub care_secs: u64,
}

impl Default for Schedule {
    fn default() -> Self {
        Self {
            classification_secs: 3600,
            care_secs: 3600,
        }
    }
}

/// Holiday care (`[care]`): the holidays and how many days ahead their care is planned.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(try_from = "RawCare")]
pub struct CareRules {
    /// `"MM-DD Name"` every year or `"YYYY-MM-DD Name"` once (lunar holidays move yearly);
    /// from the environment also as one comma-separated text.
    pub holidays: Vec<Holiday>,
    /// Days before a holiday its care task is planned (*default* 1), at most 366.
    pub holiday_lead_days: i64,
}

impl CareRules {
    /// The longest lead accepted.
    pub const MAX_LEAD_DAYS: i64 = 366;

    /// The holiday dates whose care is due from `today` to the lead's end.
    pub fn occasions(&self, today: chrono::NaiveDate) -> Vec<Occasion> {
        upcoming(&self.holidays, today, self.holiday_lead_days)
    }
}

impl Default for CareRules {
    /// New Year's Day, Labour Day and National Day, planned a day ahead.
    fn default() -> Self {
        let holidays = [
            "01-01 New Year's Day (元旦)",
            "05-01 Labour Day (劳动节)",
            "10-01 National Day (国庆节)",
        ];
        Self {
            holidays: holidays
                .iter()
                .filter_map(|h| Holiday::parse(h).ok())
                .collect(),
            holiday_lead_days: 1,
        }
    }
}

/// `[care]` as written: the holidays as a list, or as comma-separated text (an environment
/// variable).
#[derive(Deserialize)]
struct RawCare {
    holidays: TextOrList,
    holiday_lead_days: i64,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum TextOrList {
    List(Vec<String>),
    Text(String),
}

impl TryFrom<RawCare> for CareRules {
    type Error = String;

    fn try_from(raw: RawCare) -> Result<Self, String> {
        if !(0..=Self::MAX_LEAD_DAYS).contains(&raw.holiday_lead_days) {
            return Err(format!(
                "care.holiday_lead_days must be 0–{}",
                Self::MAX_LEAD_DAYS
            ));
        }
        let texts = match raw.holidays {
            TextOrList::List(list) => list,
            TextOrList::Text(text) => text.split(',').map(str::to_owned).collect(),
        };
        let holidays = texts
            .iter()
            .filter(|t| !t.trim().is_empty())
            .map(|t| Holiday::parse(t))
            .collect::<Result<_, _>>()?;
        Ok(Self {
            holidays,
            holiday_lead_days: raw.holiday_lead_days,
        })
    }
}

/// The customer-file rules that are configuration: classification thresholds, the
/// entitlements of each tier, follow-up, care and merge rules, and the jobs' schedule.
#[derive(Debug, Clone, Deserialize)]
pub struct CustomerRules {
    pub classification: Thresholds,
    pub entitlements: BTreeMap<String, Entitlements>,
    #[serde(default)]
    pub follow_ups: FollowUpRules,
    #[serde(default)]
    pub care: CareRules,
    #[serde(default)]
    pub merges: MergeRules,
    #[serde(default)]
    pub schedule: Schedule,
}

/// Loads `[classification]` and `[entitlements]` from the defaults and the environment.
pub fn load_rules() -> anyhow::Result<CustomerRules> {
    kuaidi_shared::settings::load("CUSTOMERS", &[DEFAULTS])
}

/// The rules in force, loaded once; the built-in defaults when the environment is invalid
/// (reported in the log at start-up by [`load_rules`]).
pub static RULES: LazyLock<CustomerRules> = LazyLock::new(|| {
    load_rules().unwrap_or_else(|e| {
        tracing::error!(error = %e, "invalid customer rules in the environment; using defaults");
        CustomerRules {
            classification: Thresholds::DEFAULT,
            entitlements: BTreeMap::new(),
            follow_ups: FollowUpRules::default(),
            care: CareRules::default(),
            merges: MergeRules::default(),
            schedule: Schedule::default(),
        }
    })
});

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_defaults_hold_the_spec_thresholds_and_every_tier() {
        let rules = load_rules().expect("defaults load");
        assert_eq!(rules.classification.drop_pct, Thresholds::DEFAULT.drop_pct);
        assert!(rules.entitlements["key"].dedicated_representative);
        assert_eq!(rules.entitlements.len(), 3);
        assert_eq!(rules.follow_ups, FollowUpRules::default());
        assert_eq!(rules.merges, MergeRules::default());
        assert_eq!(rules.schedule, Schedule::default());
        assert_eq!(
            rules.care,
            CareRules::default(),
            "the file and the code agree"
        );
        assert_eq!(rules.care.holidays.len(), 3);
    }

    #[test]
    fn holidays_are_read_from_the_file_as_a_list_and_from_the_environment_as_text() {
        let overrides =
            "[care]\nholidays = [\"2027-02-06 Spring Festival\"]\nholiday_lead_days = 3\n";
        let rules: CustomerRules =
            kuaidi_shared::settings::load("CUSTOMERS", &[DEFAULTS, overrides]).expect("loads");
        assert_eq!(rules.care.holiday_lead_days, 3);
        assert_eq!(
            rules.care.holidays.len(),
            1,
            "the list replaced, not merged"
        );
        assert_eq!(rules.care.holidays[0].name, "Spring Festival");

        let text = "[care]\nholidays = \"01-01 New Year, 2027-02-06 Spring Festival\"\n";
        let rules: CustomerRules =
            kuaidi_shared::settings::load("CUSTOMERS", &[DEFAULTS, text]).expect("loads");
        let names: Vec<&str> = rules
            .care
            .holidays
            .iter()
            .map(|h| h.name.as_str())
            .collect();
        assert_eq!(names, ["New Year", "Spring Festival"]);
        let none = "[care]\nholidays = \"\"\n";
        let rules: CustomerRules =
            kuaidi_shared::settings::load("CUSTOMERS", &[DEFAULTS, none]).expect("loads");
        assert!(rules.care.holidays.is_empty(), "holiday care switched off");

        for bad in ["holidays = [\"13-45 X\"]", "holiday_lead_days = -1"] {
            let bad = format!("[care]\n{bad}\n");
            let loaded: anyhow::Result<CustomerRules> =
                kuaidi_shared::settings::load("CUSTOMERS", &[DEFAULTS, &bad]);
            assert!(loaded.is_err(), "{bad} is refused");
        }
    }

    #[test]
    fn follow_up_merge_and_schedule_numbers_are_read_from_the_configuration() {
        let overrides = "[follow_ups]\ncallback_days = 5\n[merges]\nundo_days = 14\n\
                         [schedule]\nclassification_secs = 600\ncare_secs = 60\n";
        let rules: CustomerRules =
            kuaidi_shared::settings::load("CUSTOMERS", &[DEFAULTS, overrides]).expect("loads");
        assert_eq!(rules.follow_ups.callback_days, 5);
        assert_eq!(rules.merges.undo_days, 14);
        assert_eq!(rules.schedule.classification_secs, 600);
        assert_eq!(rules.schedule.care_secs, 60);
    }
}
