//! Which case counts in which figure (SPEC §8). Complaints received are the cases of type
//! `complaint` a customer brought: only they count in `complaints`, `complaint_rate_per_10k`,
//! the hotspots and the complaint-spike alert. A proactive case (SPEC §6: opened by the
//! complaints service itself when a key account's parcel is lost or damaged, before the
//! customer calls) is not one: no customer complained. How cases are handled — first
//! responses, closings, SLA breaches, surveys, reopenings, per handler too — is counted for
//! every case, whatever its type, proactive or not: the complaints service runs the same clocks
//! and surveys for all, and handling a case is work done whoever opened it.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::facts::{Counters, Dims, Fact};

/// The type whose cases are complaints (inquiries, suggestions and praise are not).
pub const COMPLAINT: &str = "complaint";

/// Whether a case of `type_` is a complaint.
pub fn is_complaint(type_: &str) -> bool {
    type_ == COMPLAINT
}

/// Whether a case of `type_`, `proactive` or not, is a complaint received from a customer: a
/// complaint the service did not open itself.
pub fn is_received_complaint(type_: &str, proactive: bool) -> bool {
    is_complaint(type_) && !proactive
}

/// What an event of a case of `type_` adds, of the `counters` it would add to a complaint:
/// every case-handling counter whatever the type, `complaints` for a complaint only.
pub fn counted(type_: &str, counters: Counters) -> Counters {
    if is_complaint(type_) {
        counters
    } else {
        Counters {
            complaints: 0,
            ..counters
        }
    }
}

/// What a case received adds: one complaint when it is a complaint received from a customer
/// ([`is_received_complaint`]), nothing otherwise — a proactive case's handling counts, its
/// receipt does not.
pub fn on_receipt(type_: &str, proactive: bool) -> Counters {
    if is_received_complaint(type_, proactive) {
        Counters {
            complaints: 1,
            ..Counters::default()
        }
    } else {
        Counters::default()
    }
}

/// What a first response adds: one, within SLA or not.
pub fn first_response(within_sla: bool) -> Counters {
    Counters {
        first_responses: 1,
        first_responses_in_sla: i64::from(within_sla),
        ..Counters::default()
    }
}

/// What a case's current handler holds in the rollups: its receipt and its first response. Both
/// count under whoever handles the case now — a case received or first answered at triage,
/// before anyone was assigned, is its assignee's (SPEC §8: an agent's own case figures) — so a
/// new handler takes them over.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Held {
    /// When the case was received and what that counts ([`on_receipt`]), once known.
    pub receipt: Option<(DateTime<Utc>, Counters)>,
    /// When the case was first responded to, and whether within SLA, once known.
    pub first_response: Option<(DateTime<Utc>, bool)>,
}

impl Held {
    /// The facts moving what is held from handler `from` to handler `to`, under the case's
    /// `dims` otherwise: a `-1` / `+1` pair at each one's own time, which nets to zero in every
    /// figure but the two handlers'.
    pub fn moved(&self, dims: &Dims, from: Uuid, to: Uuid) -> Vec<Fact> {
        let held = [
            self.receipt,
            self.first_response
                .map(|(at, sla)| (at, first_response(sla))),
        ];
        let mut facts = Vec::new();
        for (at, counters) in held.into_iter().flatten() {
            if counters == Counters::default() || from == to {
                continue;
            }
            let under = |handler_id| Dims {
                handler_id,
                ..dims.clone()
            };
            facts.push(Fact::new(at, under(from), negated(counters)));
            facts.push(Fact::new(at, under(to), counters));
        }
        facts
    }
}

/// `-c` of the counters a case holds (receipts and first responses).
fn negated(c: Counters) -> Counters {
    Counters {
        complaints: -c.complaints,
        first_responses: -c.first_responses,
        first_responses_in_sla: -c.first_responses_in_sla,
        ..Counters::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::facts::{closing, survey};

    const OTHER_TYPES: [&str; 3] = ["inquiry", "suggestion", "praise"];

    use kuaidi_shared::testing::time as at;

    #[test]
    fn only_a_complaint_received_counts_as_a_complaint() {
        assert_eq!(on_receipt(COMPLAINT, false).complaints, 1);
        for type_ in OTHER_TYPES {
            assert_eq!(
                on_receipt(type_, false),
                Counters::default(),
                "{type_} is no complaint"
            );
        }
    }

    #[test]
    fn a_proactive_case_is_no_complaint_received() {
        assert_eq!(
            on_receipt(COMPLAINT, true),
            Counters::default(),
            "the service opened it: no customer complained"
        );
        assert!(is_received_complaint(COMPLAINT, false));
        assert!(!is_received_complaint(COMPLAINT, true));
        for type_ in OTHER_TYPES {
            assert_eq!(on_receipt(type_, true), Counters::default(), "{type_}");
        }
    }

    #[test]
    fn a_new_handler_of_a_proactive_case_takes_over_its_first_response_only() {
        let (alice, bob) = (Uuid::now_v7(), Uuid::now_v7());
        let responded = at("2026-11-25T09:40:00Z");
        let held = Held {
            receipt: Some((at("2026-11-25T08:05:00Z"), on_receipt(COMPLAINT, true))),
            first_response: Some((responded, false)),
        };
        let facts = held.moved(&Dims::default(), alice, bob);
        assert_eq!(facts.len(), 2, "one pair, of the first response: {facts:?}");
        assert!(
            facts
                .iter()
                .all(|f| f.counters.complaints == 0 && f.bucket == at("2026-11-25T09:30:00Z")),
            "no complaint moves: {facts:?}"
        );
    }

    #[test]
    fn first_responses_closings_breaches_surveys_and_reopenings_count_for_every_type() {
        let handled = [
            Counters {
                first_responses: 1,
                first_responses_in_sla: 1,
                ..Counters::default()
            },
            closing(at("2026-11-25T00:00:00Z"), at("2026-11-25T20:00:00Z")),
            Counters {
                sla_breaches: 1,
                ..Counters::default()
            },
            survey(5),
            Counters {
                reopened: 1,
                ..Counters::default()
            },
        ];
        for type_ in OTHER_TYPES.into_iter().chain([COMPLAINT]) {
            for counters in handled {
                assert_eq!(counted(type_, counters), counters, "{type_}: {counters:?}");
            }
        }
    }

    #[test]
    fn a_new_handler_takes_over_the_receipt_and_the_first_response_at_their_times() {
        let (alice, bob) = (Uuid::now_v7(), Uuid::now_v7());
        let dims = Dims {
            city: "北京".into(),
            category: "delay".into(),
            handler_id: alice,
            ..Dims::default()
        };
        let (received, responded) = (at("2026-11-25T08:05:00Z"), at("2026-11-25T09:40:00Z"));
        let held = Held {
            receipt: Some((received, on_receipt(COMPLAINT, false))),
            first_response: Some((responded, true)),
        };
        let facts = held.moved(&dims, alice, bob);
        assert_eq!(facts.len(), 4, "a pair each");
        let of = |handler: Uuid| -> Counters {
            let mut sum = Counters::default();
            for f in facts.iter().filter(|f| f.dims.handler_id == handler) {
                sum += f.counters;
            }
            sum
        };
        assert_eq!(
            (
                of(bob).complaints,
                of(bob).first_responses,
                of(bob).first_responses_in_sla
            ),
            (1, 1, 1)
        );
        assert_eq!(
            (
                of(alice).complaints,
                of(alice).first_responses,
                of(alice).first_responses_in_sla
            ),
            (-1, -1, -1)
        );
        assert_eq!(
            facts[0].bucket,
            at("2026-11-25T08:00:00Z"),
            "at the receipt's time"
        );
        assert_eq!(
            facts[2].bucket,
            at("2026-11-25T09:30:00Z"),
            "at the response's time"
        );
        assert!(
            facts
                .iter()
                .all(|f| f.dims.city == "北京" && f.dims.category == "delay"),
            "every other dimension kept: the pairs net to zero outside the handlers"
        );
    }

    #[test]
    fn nothing_moves_without_a_change_of_handler_or_anything_held() {
        let bob = Uuid::now_v7();
        let received = at("2026-11-25T08:05:00Z");
        let inquiry = Held {
            receipt: Some((received, on_receipt("inquiry", false))),
            first_response: None,
        };
        assert!(inquiry.moved(&Dims::default(), Uuid::nil(), bob).is_empty());
        assert!(Held::default()
            .moved(&Dims::default(), Uuid::nil(), bob)
            .is_empty());
        let complaint = Held {
            receipt: Some((received, on_receipt(COMPLAINT, false))),
            first_response: None,
        };
        assert!(complaint.moved(&Dims::default(), bob, bob).is_empty());
        assert_eq!(complaint.moved(&Dims::default(), Uuid::nil(), bob).len(), 2);
    }

    #[test]
    fn a_complaint_keeps_every_counter_and_another_type_all_but_complaints() {
        let all = Counters {
            complaints: 1,
            closed: 1,
            surveys: 1,
            ..Counters::default()
        };
        assert_eq!(counted(COMPLAINT, all), all);
        assert_eq!(
            counted("inquiry", all),
            Counters {
                complaints: 0,
                ..all
            }
        );
        assert!(
            !is_complaint("Complaint"),
            "types are exact snake-case text"
        );
    }
}
