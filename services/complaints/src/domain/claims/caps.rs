//! A parcel's caps (SPEC §6): what all the claims on one parcel may be paid together, whoever
//! files them and however many. Loss and damage draw on one cap, the goods (the declared value
//! of an insured parcel, else `freight_multiple` × freight); a late refund draws on another,
//! the freight of a time-definite service. Each claim holds part of its cap, so that the claims
//! on a parcel never hold more than it in total:
//!
//! * an open claim (`filed`, `assessing`) holds its `amount_payable`, a reservation made when
//!   it is filed or assessed, out of what the others leave;
//! * an `approved` or `paid` claim holds its approved amount (at most its payable, so approving
//!   less gives the rest back);
//! * a `rejected` claim holds nothing: its share is free again.
//!
//! What is money promised is checked again when it is promised: an approval is at most what the
//! approved and paid claims on the parcel leave of its cap, and a payment at most what the paid
//! ones leave. For claims filed under these rules that changes nothing (their holdings already
//! fit the cap); it is what stops claims stored before caps were kept per parcel, which may
//! hold more than the cap together, from being approved or paid beyond it. Whatever changes a
//! holding or pays (filing, assessing, approving, paying) runs with the parcel locked, so the
//! claims on it are decided one at a time and two concurrent decisions cannot both spend the
//! same room.

use uuid::Uuid;

use super::{Parcel, TIME_DEFINITE};
use crate::domain::vocab::{ClaimKind, ClaimStatus};

/// The cap a claim draws on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cap {
    /// Loss and damage: what the goods are worth by the rules.
    Goods,
    /// Lateness: the freight refund.
    Freight,
}

impl Cap {
    pub fn of(kind: ClaimKind) -> Self {
        match kind {
            ClaimKind::Lost | ClaimKind::Damaged => Self::Goods,
            ClaimKind::Late => Self::Freight,
        }
    }
}

/// The parcel's cap that a claim of `kind` draws on: insured goods → the declared value,
/// uninsured → `freight_multiple` × freight; lateness → the freight on a time-definite service,
/// nothing on another.
pub fn cap(kind: ClaimKind, parcel: Parcel<'_>, freight_multiple: u32) -> i64 {
    match Cap::of(kind) {
        Cap::Goods => match parcel.declared_value {
            Some(v) if v > 0 => v,
            _ => parcel.freight.saturating_mul(i64::from(freight_multiple)),
        },
        Cap::Freight if TIME_DEFINITE.contains(&parcel.service_level) => parcel.freight,
        Cap::Freight => 0,
    }
}

/// A claim on the parcel, as far as its cap is concerned.
#[derive(Debug, Clone, Copy)]
pub struct Holding {
    pub id: Uuid,
    pub kind: ClaimKind,
    pub status: ClaimStatus,
    pub payable: i64,
    pub approved: Option<i64>,
}

impl Holding {
    /// What this claim holds of its cap (see the module's comment).
    pub fn held(&self) -> i64 {
        match self.status {
            ClaimStatus::Filed | ClaimStatus::Assessing => self.payable,
            ClaimStatus::Approved | ClaimStatus::Paid => self.approved.unwrap_or(self.payable),
            ClaimStatus::Rejected => 0,
        }
    }

    /// What it was approved, if it was (approved or paid).
    pub fn decided(&self) -> i64 {
        match self.status {
            ClaimStatus::Approved | ClaimStatus::Paid => self.approved.unwrap_or(0),
            _ => 0,
        }
    }

    /// What it was paid.
    pub fn paid(&self) -> i64 {
        match self.status {
            ClaimStatus::Paid => self.approved.unwrap_or(0),
            _ => 0,
        }
    }

    /// Not settled and not rejected: a second claim of its kind is a duplicate of it.
    pub fn open(&self) -> bool {
        matches!(
            self.status,
            ClaimStatus::Filed | ClaimStatus::Assessing | ClaimStatus::Approved
        )
    }
}

/// What some claims on a parcel take of one of its caps.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Taken {
    /// What they hold (the limit of a claim filed or assessed now).
    pub held: i64,
    /// What they were approved (the limit of an approval now).
    pub decided: i64,
    /// What they were paid (the limit of a payment now).
    pub paid: i64,
}

/// What `claims` (the others on the parcel) take of the cap a claim of `kind` draws on.
pub fn taken(claims: &[Holding], kind: ClaimKind) -> Taken {
    claims
        .iter()
        .filter(|c| Cap::of(c.kind) == Cap::of(kind))
        .fold(Taken::default(), |t, c| Taken {
            held: t.held + c.held(),
            decided: t.decided + c.decided(),
            paid: t.paid + c.paid(),
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::claims::{payable, Punctuality};

    fn parcel(declared: Option<i64>) -> Parcel<'static> {
        Parcel {
            service_level: "express",
            freight: 2_000,
            declared_value: declared,
            punctuality: Punctuality::Late,
            delivered: false,
        }
    }

    fn claim(kind: ClaimKind, status: ClaimStatus, payable: i64, approved: Option<i64>) -> Holding {
        Holding {
            id: Uuid::nil(),
            kind,
            status,
            payable,
            approved,
        }
    }

    #[test]
    fn loss_and_damage_share_the_goods_cap_and_lateness_has_its_own() {
        use ClaimKind::*;
        assert_eq!(cap(Lost, parcel(None), 3), 6_000);
        assert_eq!(cap(Damaged, parcel(Some(50_000)), 3), 50_000);
        assert_eq!(cap(Late, parcel(Some(50_000)), 3), 2_000);
        let standard = Parcel {
            service_level: "standard",
            ..parcel(None)
        };
        assert_eq!(cap(Late, standard, 3), 0, "not time-definite");
        let others = [
            claim(Lost, ClaimStatus::Paid, 6_000, Some(4_000)),
            claim(Damaged, ClaimStatus::Approved, 1_000, Some(500)),
            claim(Late, ClaimStatus::Filed, 2_000, None),
        ];
        let t = |held, decided, paid| Taken {
            held,
            decided,
            paid,
        };
        assert_eq!(taken(&others, Damaged), t(4_500, 4_500, 4_000));
        assert_eq!(taken(&others, Late), t(2_000, 0, 0));
    }

    #[test]
    fn an_open_claim_holds_its_payable_a_decided_one_its_approval_a_rejected_one_nothing() {
        use ClaimStatus::*;
        let held = |s, approved| claim(ClaimKind::Lost, s, 6_000, approved).held();
        assert_eq!(held(Filed, None), 6_000);
        assert_eq!(held(Assessing, None), 6_000);
        assert_eq!(held(Approved, Some(1_000)), 1_000, "the rest is given back");
        assert_eq!(held(Paid, Some(1_000)), 1_000);
        assert_eq!(held(Rejected, None), 0, "its share is free again");
    }

    #[test]
    fn a_claim_is_payable_what_the_others_leave_of_its_cap() {
        let p = parcel(None);
        assert_eq!(payable(ClaimKind::Lost, p, 6_000, 3, 0), 6_000);
        assert_eq!(payable(ClaimKind::Lost, p, 6_000, 3, 4_500), 1_500);
        assert_eq!(payable(ClaimKind::Damaged, p, 1_000, 3, 4_500), 1_000);
        assert_eq!(payable(ClaimKind::Lost, p, 6_000, 3, 6_000), 0);
        assert_eq!(
            payable(ClaimKind::Lost, p, 6_000, 3, 18_000),
            0,
            "never below nothing, even when others hold too much (claims of before caps)"
        );
    }
}
