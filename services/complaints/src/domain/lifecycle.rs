//! The case lifecycle of SPEC §6: which action moves a case from which status to which.

use strum::VariantArray;

kuaidi_shared::vocabulary! {
    /// The status of a case.
    pub enum Status {
        Received, Triaged, Assigned, Investigating, PendingApproval, Resolving, AwaitingFeedback,
        Closed, Reopened,
    }
    /// A lifecycle action (`POST /complaints/{id}/actions/{action}`).
    pub enum Action {
        Triage, Assign, Investigate, Propose, Approve, Reject, Resolve, Close, Reopen, Escalate,
        Comment,
    }
}

/// Where an action leads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    To(Status),
    /// `triage`: triaged when reasonable, else closed (explained).
    TriagedOrClosed,
    /// `escalate`, `comment`: the status stays.
    Same,
}

/// The statuses in which a case takes its satisfaction survey (SPEC §6): resolved, awaiting
/// the customer's feedback, or closed.
pub const SURVEY_STATUSES: [Status; 2] = [Status::AwaitingFeedback, Status::Closed];

impl Status {
    pub fn is_open(self) -> bool {
        self != Status::Closed
    }

    /// Whether a case in this status takes a survey (once per resolution).
    pub fn takes_survey(self) -> bool {
        SURVEY_STATUSES.contains(&self)
    }

    /// Whether the SLA clocks are stopped (awaiting the customer's feedback, or closed).
    pub fn clocks_paused(self) -> bool {
        matches!(self, Status::AwaitingFeedback | Status::Closed)
    }
}

impl Action {
    /// Actions reserved to supervisors and above (SPEC §3: complaint approve/escalate).
    pub fn needs_supervisor(self) -> bool {
        matches!(self, Action::Approve | Action::Reject | Action::Escalate)
    }
}

/// The table of SPEC §6: `None` when `action` is illegal from `from`.
pub fn transition(from: Status, action: Action) -> Option<Target> {
    use Action as A;
    use Status as S;
    Some(match (from, action) {
        (S::Received, A::Triage) => Target::TriagedOrClosed,
        (S::Triaged | S::Reopened, A::Assign) => Target::To(S::Assigned),
        (S::Assigned, A::Investigate) => Target::To(S::Investigating),
        (S::Investigating, A::Propose) => Target::To(S::PendingApproval),
        (S::PendingApproval, A::Approve) => Target::To(S::Resolving),
        (S::PendingApproval, A::Reject) => Target::To(S::Investigating),
        (S::Resolving, A::Resolve) => Target::To(S::AwaitingFeedback),
        (S::AwaitingFeedback, A::Close) => Target::To(S::Closed),
        (S::Closed | S::AwaitingFeedback, A::Reopen) => Target::To(S::Reopened),
        (s, A::Escalate | A::Comment) if s.is_open() => Target::Same,
        _ => return None,
    })
}

/// The actions legal from `from`, in the table's order (named in a 409).
pub fn allowed_actions(from: Status) -> Vec<Action> {
    Action::VARIANTS
        .iter()
        .copied()
        .filter(|a| transition(from, *a).is_some())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use Action as A;
    use Status as S;

    /// The whole table, written out pair by pair: every (status, action) not listed is illegal.
    fn expected(from: Status, action: Action) -> Option<Target> {
        let legal: &[(Status, Action, Target)] = &[
            (S::Received, A::Triage, Target::TriagedOrClosed),
            (S::Triaged, A::Assign, Target::To(S::Assigned)),
            (S::Reopened, A::Assign, Target::To(S::Assigned)),
            (S::Assigned, A::Investigate, Target::To(S::Investigating)),
            (S::Investigating, A::Propose, Target::To(S::PendingApproval)),
            (S::PendingApproval, A::Approve, Target::To(S::Resolving)),
            (S::PendingApproval, A::Reject, Target::To(S::Investigating)),
            (S::Resolving, A::Resolve, Target::To(S::AwaitingFeedback)),
            (S::AwaitingFeedback, A::Close, Target::To(S::Closed)),
            (S::Closed, A::Reopen, Target::To(S::Reopened)),
            (S::AwaitingFeedback, A::Reopen, Target::To(S::Reopened)),
        ];
        if let Some((_, _, t)) = legal.iter().find(|(s, a, _)| *s == from && *a == action) {
            return Some(*t);
        }
        match action {
            A::Escalate | A::Comment if from != S::Closed => Some(Target::Same),
            _ => None,
        }
    }

    #[test]
    fn every_status_and_action_pair_follows_the_table() {
        let mut pairs = 0;
        for from in S::VARIANTS {
            for action in A::VARIANTS {
                assert_eq!(
                    transition(*from, *action),
                    expected(*from, *action),
                    "{from} × {action}"
                );
                pairs += 1;
            }
        }
        assert_eq!(pairs, 9 * 11, "every pair was checked");
    }

    #[test]
    fn a_closed_case_can_only_be_reopened() {
        assert_eq!(allowed_actions(S::Closed), vec![A::Reopen]);
    }

    #[test]
    fn an_open_case_may_always_be_escalated_and_commented() {
        assert_eq!(
            allowed_actions(S::Received),
            vec![A::Triage, A::Escalate, A::Comment]
        );
        assert_eq!(
            allowed_actions(S::AwaitingFeedback),
            vec![A::Close, A::Reopen, A::Escalate, A::Comment]
        );
    }

    #[test]
    fn only_a_resolved_or_closed_case_takes_a_survey() {
        let surveyed: Vec<Status> = S::VARIANTS
            .iter()
            .copied()
            .filter(|s| s.takes_survey())
            .collect();
        assert_eq!(surveyed, vec![S::AwaitingFeedback, S::Closed]);
    }

    #[test]
    fn statuses_and_actions_use_the_specs_names() {
        assert_eq!(S::PendingApproval.to_string(), "pending_approval");
        assert_eq!("awaiting_feedback".parse::<S>(), Ok(S::AwaitingFeedback));
        assert!("hold".parse::<A>().is_err());
    }
}
