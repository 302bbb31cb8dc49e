//! Claims (seed 000 超时退费, 保价; seed 004): the payable limit by rule, and the states.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::vocab::{ClaimAction, ClaimKind, ClaimStatus};

/// Service levels with a promised delivery time: a late parcel gets its freight back.
pub const TIME_DEFINITE: [&str; 3] = ["express", "same_day", "scheduled"];

/// Filters of the claims list.
#[derive(Debug, Default)]
pub struct ClaimFilters {
    pub status: Option<String>,
    pub kind: Option<String>,
    pub complaint_id: Option<Uuid>,
    pub tracking_number: Option<String>,
    /// Unsettled and filed before this moment.
    pub filed_before_unsettled: Option<DateTime<Utc>>,
    /// Merchants: their own.
    pub tenant: Option<Uuid>,
}

/// What the shipment projection says about the parcel (minor units).
#[derive(Debug, Clone, Copy)]
pub struct Parcel<'a> {
    pub service_level: &'a str,
    pub freight: i64,
    pub declared_value: Option<i64>,
}

/// The most the rules allow for a claim of `kind` on `parcel`: insured loss or damage → the
/// declared value; uninsured → `freight_multiple` × freight (*default* 3, `[claims]
/// freight_multiple`); late on a time-definite service → the freight; late otherwise → nothing.
pub fn limit(kind: ClaimKind, parcel: Parcel<'_>, freight_multiple: u32) -> i64 {
    match kind {
        ClaimKind::Lost | ClaimKind::Damaged => match parcel.declared_value {
            Some(v) if v > 0 => v,
            _ => parcel.freight.saturating_mul(i64::from(freight_multiple)),
        },
        ClaimKind::Late if TIME_DEFINITE.contains(&parcel.service_level) => parcel.freight,
        ClaimKind::Late => 0,
    }
}

/// What may be paid: the claim, capped by the rule's limit.
pub fn payable(kind: ClaimKind, parcel: Parcel<'_>, claimed: i64, freight_multiple: u32) -> i64 {
    claimed.min(limit(kind, parcel, freight_multiple))
}

/// The filing time before which an unsettled claim is overdue at `now`: `ageing_days` earlier
/// (*default* 30, `[claims] ageing_days`).
pub fn overdue_before(now: DateTime<Utc>, ageing_days: u32) -> DateTime<Utc> {
    now - chrono::Duration::days(i64::from(ageing_days))
}

/// Whether a claim filed at `filed_at` and not settled is overdue at `now`.
pub fn is_overdue(
    filed_at: DateTime<Utc>,
    settled_at: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
    ageing_days: u32,
) -> bool {
    settled_at.is_none() && filed_at <= overdue_before(now, ageing_days)
}

/// filed → assessing → approved | rejected → paid.
pub fn transition(from: ClaimStatus, action: ClaimAction) -> Option<ClaimStatus> {
    use ClaimAction as A;
    use ClaimStatus as S;
    match (from, action) {
        (S::Filed, A::Assess) => Some(S::Assessing),
        (S::Assessing, A::Approve) => Some(S::Approved),
        (S::Filed | S::Assessing, A::Reject) => Some(S::Rejected),
        (S::Approved, A::Pay) => Some(S::Paid),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use strum::VariantArray;

    fn parcel(level: &str, declared: Option<i64>) -> Parcel<'_> {
        Parcel {
            service_level: level,
            freight: 1_500,
            declared_value: declared,
        }
    }

    #[test]
    fn insured_parcels_are_paid_up_to_their_declared_value() {
        assert_eq!(
            limit(ClaimKind::Lost, parcel("standard", Some(200_000)), 3),
            200_000
        );
        assert_eq!(
            limit(ClaimKind::Damaged, parcel("express", Some(80_000)), 3),
            80_000
        );
    }

    #[test]
    fn uninsured_loss_or_damage_is_paid_up_to_three_times_the_freight() {
        assert_eq!(limit(ClaimKind::Lost, parcel("standard", None), 3), 4_500);
        assert_eq!(
            limit(ClaimKind::Damaged, parcel("standard", Some(0)), 3),
            4_500
        );
    }

    #[test]
    fn lateness_refunds_the_freight_only_on_time_definite_services() {
        for level in TIME_DEFINITE {
            assert_eq!(
                limit(ClaimKind::Late, parcel(level, None), 3),
                1_500,
                "{level}"
            );
        }
        assert_eq!(
            limit(ClaimKind::Late, parcel("standard", Some(90_000)), 3),
            0
        );
    }

    #[test]
    fn nobody_is_paid_more_than_they_claimed() {
        assert_eq!(
            payable(ClaimKind::Lost, parcel("standard", None), 1_000, 3),
            1_000
        );
        assert_eq!(
            payable(ClaimKind::Lost, parcel("standard", None), 9_000, 3),
            4_500
        );
    }

    #[test]
    fn the_freight_multiple_is_configurable() {
        assert_eq!(limit(ClaimKind::Lost, parcel("standard", None), 5), 7_500);
        assert_eq!(
            payable(ClaimKind::Damaged, parcel("standard", None), 9_000, 5),
            7_500
        );
        assert_eq!(
            limit(ClaimKind::Lost, parcel("standard", Some(200_000)), 5),
            200_000,
            "insured parcels still go by their declared value"
        );
    }

    #[test]
    fn a_claim_is_overdue_once_unsettled_for_the_ageing_period() {
        let t = |s: &str| {
            DateTime::parse_from_rfc3339(s)
                .expect("time")
                .with_timezone(&Utc)
        };
        let (filed, now) = (t("2026-11-01T00:00:00Z"), t("2026-11-11T00:00:00Z"));
        assert!(
            !is_overdue(filed, None, now, 30),
            "10 days of the default 30"
        );
        assert!(is_overdue(filed, None, now, 10), "10 days of 10");
        assert!(
            !is_overdue(filed, Some(now), now, 10),
            "a settled claim is never overdue"
        );
        assert_eq!(overdue_before(now, 10), filed);
    }

    #[test]
    fn claims_move_filed_assessing_approved_or_rejected_then_paid() {
        use ClaimAction as A;
        use ClaimStatus as S;
        let legal = [
            (S::Filed, A::Assess, S::Assessing),
            (S::Assessing, A::Approve, S::Approved),
            (S::Filed, A::Reject, S::Rejected),
            (S::Assessing, A::Reject, S::Rejected),
            (S::Approved, A::Pay, S::Paid),
        ];
        for from in S::VARIANTS {
            for action in A::VARIANTS {
                let expected = legal
                    .iter()
                    .find(|(f, a, _)| f == from && a == action)
                    .map(|l| l.2);
                assert_eq!(transition(*from, *action), expected, "{from} × {action}");
            }
        }
    }
}
