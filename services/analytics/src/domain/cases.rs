//! Which case counts in which figure (SPEC §8). Complaints are the cases of type `complaint`:
//! only they count in `complaints`, `complaint_rate_per_10k`, the hotspots and the
//! complaint-spike alert. How cases are handled — first responses, closings, SLA breaches,
//! surveys, reopenings, per handler too — is counted for every case type (complaint, inquiry,
//! suggestion, praise): the complaints service runs the same clocks and surveys for all.

use super::facts::Counters;

/// The type whose cases are complaints (inquiries, suggestions and praise are not).
pub const COMPLAINT: &str = "complaint";

/// Whether a case of `type_` is a complaint.
pub fn is_complaint(type_: &str) -> bool {
    type_ == COMPLAINT
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

/// What a case received adds: one complaint when it is one, nothing otherwise.
pub fn on_receipt(type_: &str) -> Counters {
    counted(
        type_,
        Counters {
            complaints: 1,
            ..Counters::default()
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::facts::{closing, survey};
    use chrono::{DateTime, Utc};

    const OTHER_TYPES: [&str; 3] = ["inquiry", "suggestion", "praise"];

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).expect("time").to_utc()
    }

    #[test]
    fn only_a_complaint_received_counts_as_a_complaint() {
        assert_eq!(on_receipt(COMPLAINT).complaints, 1);
        for type_ in OTHER_TYPES {
            assert_eq!(
                on_receipt(type_),
                Counters::default(),
                "{type_} is no complaint"
            );
        }
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
