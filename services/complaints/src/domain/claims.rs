//! Claims (seed 000 超时退费, 保价; seed 004): the payable limit by rule, the parcel's caps all
//! its claims share (`caps`), and the states.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::vocab::{ClaimAction, ClaimKind, ClaimStatus};

pub mod caps;

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
    /// Whether it kept its promise, as known when the amount is computed.
    pub punctuality: Punctuality,
    /// Whether the shipments service reported it delivered (`shipment.delivered`).
    pub delivered: bool,
}

/// The first delivery of a parcel (`shipment.delivered`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Delivery {
    pub delivered_at: DateTime<Utc>,
    /// `delivered_at <= promised_at`, as the shipments service judged it.
    pub on_time: bool,
}

/// Whether a parcel missed the delivery time it was promised.
#[derive(Debug, Clone, Copy, PartialEq, Eq, strum::Display)]
#[strum(serialize_all = "snake_case")]
pub enum Punctuality {
    /// Delivered after its promise, or not delivered and past it.
    Late,
    /// Delivered by its promise.
    OnTime,
    /// Not delivered, and its promise not yet past.
    NotYetDue,
    /// Not delivered, and no promise known (a shipment projected before promises were kept).
    Unknown,
}

/// Whether a parcel promised for `promised_at` and delivered as `delivery` (if at all) is late
/// at `now`: a delivery says so itself; an undelivered parcel is late once `now` is past its
/// promise (delivery exactly at the promise is on time).
pub fn punctuality(
    promised_at: Option<DateTime<Utc>>,
    delivery: Option<Delivery>,
    now: DateTime<Utc>,
) -> Punctuality {
    match (delivery, promised_at) {
        (Some(d), _) if d.on_time => Punctuality::OnTime,
        (Some(_), _) => Punctuality::Late,
        (None, Some(p)) if now > p => Punctuality::Late,
        (None, Some(_)) => Punctuality::NotYetDue,
        (None, None) => Punctuality::Unknown,
    }
}

/// The most the rules allow for a claim of `kind` on `parcel`, as things stand: its parcel's
/// cap ([`caps::cap`]: insured loss or damage → the declared value; uninsured →
/// `freight_multiple` × freight, *default* 3, `[claims] freight_multiple`; late on a
/// time-definite service → the freight, SPEC §6), or nothing when the parcel's state says the
/// claim has no ground: `lost` on a parcel reported delivered; `late` on one that kept its
/// promise (delivered by it) or whose promise is not past yet (`assess` computes it again once
/// it is). A late claim on a parcel whose promise is not known keeps the SPEC's amount: the
/// assessor decides.
pub fn limit(kind: ClaimKind, parcel: Parcel<'_>, freight_multiple: u32) -> i64 {
    let groundless = match kind {
        ClaimKind::Lost => parcel.delivered,
        ClaimKind::Damaged => false,
        ClaimKind::Late => matches!(
            parcel.punctuality,
            Punctuality::OnTime | Punctuality::NotYetDue
        ),
    };
    if groundless {
        0
    } else {
        caps::cap(kind, parcel, freight_multiple)
    }
}

/// What may be paid: the claim, capped by the rule's limit and by what the other claims on the
/// parcel leave of its cap (`held_by_others`, [`caps::taken`]); never below nothing.
pub fn payable(
    kind: ClaimKind,
    parcel: Parcel<'_>,
    claimed: i64,
    freight_multiple: u32,
    held_by_others: i64,
) -> i64 {
    let room = caps::cap(kind, parcel, freight_multiple).saturating_sub(held_by_others);
    claimed
        .min(limit(kind, parcel, freight_multiple))
        .min(room)
        .max(0)
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

/// SPEC §6: `filed` → `assessing` → `approved` | `rejected`; `approved` → `paid`. Nothing is
/// decided before it is assessed (a filed claim is neither approved nor rejected), and
/// `rejected` and `paid` are final.
pub fn transition(from: ClaimStatus, action: ClaimAction) -> Option<ClaimStatus> {
    use ClaimAction as A;
    use ClaimStatus as S;
    match (from, action) {
        (S::Filed, A::Assess) => Some(S::Assessing),
        (S::Assessing, A::Approve) => Some(S::Approved),
        (S::Assessing, A::Reject) => Some(S::Rejected),
        (S::Approved, A::Pay) => Some(S::Paid),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use strum::VariantArray;

    use kuaidi_shared::testing::time as t;

    fn parcel(level: &str, declared: Option<i64>) -> Parcel<'_> {
        Parcel {
            service_level: level,
            freight: 1_500,
            declared_value: declared,
            punctuality: Punctuality::Late,
            delivered: false,
        }
    }

    fn late_refund(level: &str, punctuality: Punctuality) -> i64 {
        let p = Parcel {
            punctuality,
            ..parcel(level, None)
        };
        limit(ClaimKind::Late, p, 3)
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
    fn a_late_refund_needs_a_promise_missed_or_unknown() {
        assert_eq!(late_refund("express", Punctuality::OnTime), 0, "kept");
        assert_eq!(late_refund("express", Punctuality::NotYetDue), 0, "not yet");
        assert_eq!(late_refund("express", Punctuality::Late), 1_500);
        assert_eq!(
            late_refund("express", Punctuality::Unknown),
            1_500,
            "no promise known: the assessor decides"
        );
        assert_eq!(late_refund("standard", Punctuality::Late), 0);
    }

    #[test]
    fn a_delivered_parcel_is_not_lost_but_may_be_damaged() {
        let delivered = Parcel {
            delivered: true,
            ..parcel("standard", None)
        };
        assert_eq!(limit(ClaimKind::Lost, delivered, 3), 0);
        assert_eq!(limit(ClaimKind::Damaged, delivered, 3), 4_500);
    }

    #[test]
    fn a_delivery_says_whether_it_was_late_whatever_the_time_now() {
        let promise = Some(t("2026-11-20T18:00:00Z"));
        let now = t("2026-12-01T00:00:00Z");
        let delivered = |on_time| {
            Some(Delivery {
                delivered_at: t("2026-11-20T17:00:00Z"),
                on_time,
            })
        };
        assert_eq!(
            punctuality(promise, delivered(true), now),
            Punctuality::OnTime,
            "delivered by the promise, though the promise is long past"
        );
        assert_eq!(
            punctuality(promise, delivered(false), now),
            Punctuality::Late
        );
        assert_eq!(
            punctuality(None, delivered(false), now),
            Punctuality::Late,
            "a delivery judged late needs no promise of ours"
        );
    }

    #[test]
    fn an_undelivered_parcel_is_late_once_past_its_promise() {
        let promise = Some(t("2026-11-20T18:00:00Z"));
        assert_eq!(
            punctuality(promise, None, t("2026-11-20T17:59:59Z")),
            Punctuality::NotYetDue
        );
        assert_eq!(
            punctuality(promise, None, t("2026-11-20T18:00:00Z")),
            Punctuality::NotYetDue,
            "delivery at the promise itself is on time"
        );
        assert_eq!(
            punctuality(promise, None, t("2026-11-20T18:00:01Z")),
            Punctuality::Late
        );
        assert_eq!(
            punctuality(None, None, t("2026-12-01T00:00:00Z")),
            Punctuality::Unknown,
            "no promise known: not shown late"
        );
    }

    #[test]
    fn nobody_is_paid_more_than_they_claimed() {
        assert_eq!(
            payable(ClaimKind::Lost, parcel("standard", None), 1_000, 3, 0),
            1_000
        );
        assert_eq!(
            payable(ClaimKind::Lost, parcel("standard", None), 9_000, 3, 0),
            4_500
        );
    }

    #[test]
    fn the_freight_multiple_is_configurable() {
        assert_eq!(limit(ClaimKind::Lost, parcel("standard", None), 5), 7_500);
        assert_eq!(
            payable(ClaimKind::Damaged, parcel("standard", None), 9_000, 5, 0),
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

    #[test]
    fn a_filed_claim_is_assessed_before_it_is_rejected() {
        assert_eq!(
            transition(ClaimStatus::Filed, ClaimAction::Reject),
            None,
            "SPEC: filed → assessing → approved | rejected"
        );
        assert_eq!(
            transition(ClaimStatus::Rejected, ClaimAction::Pay),
            None,
            "only an approved claim is paid"
        );
    }
}
