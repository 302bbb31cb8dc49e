//! The classification rules of SPEC §4 (value tier, RFM, lifecycle stage, churn warning),
//! stated once as thresholds and as pure functions. The hourly job applies the same rules
//! set-based in SQL (`db::classification`), with these thresholds bound as parameters; the unit
//! tests here pin the rules, an integration test pins the SQL to them.

use super::enums::{Stage, ValueTier};

/// Thresholds (SPEC §4 *defaults*).
#[derive(Debug, Clone, Copy, serde::Deserialize)]
pub struct Thresholds {
    /// Share of total 12-month spend, in percent, that the `key` tier makes up.
    pub key_pct: i64,
    /// Cumulative share, in percent, up to which customers are `ordinary`.
    pub ordinary_pct: i64,
    /// Shipments within `loyal_days` that make a customer `loyal`.
    pub loyal_shipments: i64,
    pub loyal_days: i64,
    /// Days without a shipment after which a customer is `churned`.
    pub churn_days: i64,
    /// A first shipment within this many days makes a customer `new`.
    pub new_days: i64,
    /// Shipments in the previous 90 days that make a baseline for the churn warning.
    pub baseline_shipments: i64,
    /// The warning fires when the last 30 days fall below this percentage of the 90-day
    /// monthly average.
    pub drop_pct: i64,
}

impl Thresholds {
    /// SPEC §4's defaults.
    pub const DEFAULT: Self = Self {
        key_pct: 80,
        ordinary_pct: 95,
        loyal_shipments: 12,
        loyal_days: 182,
        churn_days: 90,
        new_days: 90,
        baseline_shipments: 5,
        drop_pct: 50,
    };
}

impl Default for Thresholds {
    fn default() -> Self {
        Self::DEFAULT
    }
}

/// A customer's tier from the spend of the customers ranked before them (by spend, highest
/// first) and the total: the first 80 % of value is `key`, the next 15 % `ordinary`.
pub fn value_tier(spend: i64, cumulative_before: i64, total: i64, t: &Thresholds) -> ValueTier {
    if spend <= 0 || total <= 0 {
        ValueTier::Small
    } else if cumulative_before * 100 < t.key_pct * total {
        ValueTier::Key
    } else if cumulative_before * 100 < t.ordinary_pct * total {
        ValueTier::Ordinary
    } else {
        ValueTier::Small
    }
}

/// The churn early warning: a baseline of shipments in the last 90 days, and the last 30 days
/// below `drop_pct` % of the 90-day monthly average (`last_90d / 3`).
pub fn churn_warning(last_30d: i64, last_90d: i64, t: &Thresholds) -> bool {
    last_90d >= t.baseline_shipments && last_30d * 3 * 100 < t.drop_pct * last_90d
}

/// What the lifecycle stage is computed from, as of "today".
#[derive(Debug, Clone, Copy, Default)]
pub struct Activity {
    /// Days since the last shipment; `None` when the customer never shipped.
    pub days_since_last: Option<i64>,
    /// Days since the first shipment.
    pub days_since_first: Option<i64>,
    pub last_30d: i64,
    pub last_90d: i64,
    /// Shipments within `loyal_days`.
    pub recent_for_loyalty: i64,
}

/// The lifecycle stage: prospect → new → active → loyal; at_risk on the churn warning;
/// churned after `churn_days` without a shipment; a new shipment brings a churned customer
/// back to active.
pub fn stage(a: &Activity, t: &Thresholds) -> Stage {
    match a.days_since_last {
        None => Stage::Prospect,
        Some(d) if d >= t.churn_days => Stage::Churned,
        Some(_) if churn_warning(a.last_30d, a.last_90d, t) => Stage::AtRisk,
        Some(_) if a.recent_for_loyalty >= t.loyal_shipments => Stage::Loyal,
        Some(_) if a.days_since_first.is_some_and(|f| f < t.new_days) => Stage::New,
        Some(_) => Stage::Active,
    }
}

/// The stage a new shipment moves a customer in `current` to at once, if any, given their
/// activity with that shipment counted: a `prospect` becomes `new` and a `churned` customer
/// `active` again, or `loyal` — from `new` and `active` too — as soon as [`stage`] says so (the
/// loyalty threshold reached, no churn warning). `loyal` stays; lifting `at_risk`, and every
/// move a shipment does not cause, are the classification run's.
pub fn stage_on_shipment(current: Stage, a: &Activity, t: &Thresholds) -> Option<Stage> {
    if !shipment_may_move(current) {
        return None;
    }
    let to = match current {
        _ if stage(a, t) == Stage::Loyal => Stage::Loyal,
        Stage::Prospect => Stage::New,
        Stage::Churned => Stage::Active,
        other => other,
    };
    (to != current).then_some(to)
}

/// Whether a shipment may move a customer in `current` at once at all (see
/// [`stage_on_shipment`]): the activity need not be weighed otherwise.
pub fn shipment_may_move(current: Stage) -> bool {
    !matches!(current, Stage::Loyal | Stage::AtRisk)
}

/// The stages a shipment may move a customer from at once.
pub fn moved_by_shipments() -> Vec<Stage> {
    <Stage as strum::VariantArray>::VARIANTS
        .iter()
        .copied()
        .filter(|s| shipment_may_move(*s))
        .collect()
}

/// The quintile (1–5) of the item at 0-based `rank` of `n` ranked lowest first, as SQL's
/// `NTILE(5)` assigns it (the first `n % 5` buckets get one extra), and as the classification
/// run's `kuaidi_quintile` (a shared migration) does for the middle of a group of equal values
/// (so they score alike).
pub fn quintile(rank: usize, n: usize) -> i16 {
    let (size, extra) = (n / 5, n % 5);
    let mut start = 0;
    for bucket in 0..5 {
        let len = size + usize::from(bucket < extra);
        if rank < start + len {
            return bucket as i16 + 1;
        }
        start += len;
    }
    5
}

#[cfg(test)]
mod tests {
    use super::*;

    const T: Thresholds = Thresholds::DEFAULT;

    #[test]
    fn the_first_80_percent_of_value_is_key_the_next_15_ordinary() {
        // 5 × 16 000 + 15 × 1 000 + 80 × 62.5 = 100 000.
        let mut spends = vec![1_600_000_i64; 5];
        spends.extend([100_000; 15]);
        spends.extend([6_250; 80]);
        let total: i64 = spends.iter().sum();
        let mut before = 0;
        let mut counts = [0; 3];
        for s in spends {
            match value_tier(s, before, total, &T) {
                ValueTier::Key => counts[0] += 1,
                ValueTier::Ordinary => counts[1] += 1,
                ValueTier::Small => counts[2] += 1,
            }
            before += s;
        }
        assert_eq!(counts, [5, 15, 80]);
        assert_eq!(
            value_tier(0, 0, total, &T),
            ValueTier::Small,
            "no spend, no tier"
        );
    }

    #[test]
    fn churn_warning_needs_a_baseline_and_a_halved_month() {
        assert!(churn_warning(0, 9, &T), "9 in 90 days, none in the last 30");
        assert!(!churn_warning(2, 9, &T), "2 ≥ half of 3 a month");
        assert!(churn_warning(1, 9, &T), "1 < half of 3 a month");
        assert!(!churn_warning(0, 4, &T), "no baseline below 5 shipments");
    }

    #[test]
    fn stages_follow_the_lifecycle() {
        let a = |last, first, l30, l90, loyal| Activity {
            days_since_last: last,
            days_since_first: first,
            last_30d: l30,
            last_90d: l90,
            recent_for_loyalty: loyal,
        };
        assert_eq!(stage(&a(None, None, 0, 0, 0), &T), Stage::Prospect);
        assert_eq!(stage(&a(Some(3), Some(10), 1, 1, 1), &T), Stage::New);
        assert_eq!(stage(&a(Some(3), Some(200), 2, 4, 6), &T), Stage::Active);
        assert_eq!(stage(&a(Some(3), Some(200), 5, 12, 12), &T), Stage::Loyal);
        assert_eq!(stage(&a(Some(40), Some(200), 0, 9, 12), &T), Stage::AtRisk);
        assert_eq!(stage(&a(Some(90), Some(400), 0, 0, 3), &T), Stage::Churned);
        assert_eq!(
            stage(&a(Some(0), Some(400), 1, 1, 1), &T),
            Stage::Active,
            "a churned customer who ships again is active"
        );
    }

    #[test]
    fn a_shipment_moves_prospects_and_churned_at_once_and_anyone_reaching_loyalty() {
        let with = |total: i64, first: i64| Activity {
            days_since_last: Some(0),
            days_since_first: Some(first),
            last_30d: total.min(6),
            last_90d: total.min(9),
            recent_for_loyalty: total,
        };
        let on = |current, a: Activity| stage_on_shipment(current, &a, &T);
        assert_eq!(on(Stage::Prospect, with(1, 0)), Some(Stage::New));
        assert_eq!(on(Stage::Churned, with(1, 400)), Some(Stage::Active));
        assert_eq!(on(Stage::New, with(11, 60)), None, "one short of loyal");
        assert_eq!(on(Stage::New, with(12, 60)), Some(Stage::Loyal));
        assert_eq!(on(Stage::Active, with(12, 200)), Some(Stage::Loyal));
        assert_eq!(on(Stage::Churned, with(12, 400)), Some(Stage::Loyal));
        assert_eq!(on(Stage::Loyal, with(40, 400)), None);
        assert_eq!(
            on(Stage::AtRisk, with(12, 400)),
            None,
            "the classification's to lift"
        );
        let warned = Activity {
            last_30d: 1,
            last_90d: 12,
            ..with(12, 200)
        };
        assert_eq!(
            on(Stage::Active, warned),
            None,
            "the churn warning comes before loyalty, as in the run"
        );
    }

    #[test]
    fn quintiles_match_ntile() {
        let q: Vec<i16> = (0..7).map(|r| quintile(r, 7)).collect();
        assert_eq!(q, vec![1, 1, 2, 2, 3, 4, 5]);
        assert_eq!(quintile(99, 100), 5);
        assert_eq!(quintile(0, 1), 1);
    }
}
