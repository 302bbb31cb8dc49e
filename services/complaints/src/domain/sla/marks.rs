//! Which SLA marks a case keeps when its deadlines are computed again (SPEC §6: "a changed
//! policy or calendar recomputes every open deadline correctly"). A mark (`sla.warned`,
//! `sla.breached`) stands for a moment the case's clock has reached; a deadline moved beyond
//! where the clock stands takes its marks with it, so a case shows what is true under the
//! deadlines in force. What the sweep announced stays announced (events, history); a mark taken
//! away is made — and announced — again only when the case reaches the new moment: a new
//! deadline, never the same one twice.

use chrono::{DateTime, Utc};

use super::super::lifecycle::Status;
use super::Deadlines;

/// Bits of a case's `sla_flags`: the SLA events it had under its deadlines, once each.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SlaFlag {
    FirstResponseWarned = 1,
    FirstResponseBreached = 2,
    ResolutionWarned = 4,
    ResolutionBreached = 8,
}

/// Where a case's clocks stand at `now`: `now`, or — while the case waits in a status that
/// stops them (awaiting feedback, closed) — the moment they stopped.
pub fn clocks_stand_at(moves: &[(Status, DateTime<Utc>)], now: DateTime<Utc>) -> DateTime<Utc> {
    let mut stopped = None;
    for (status, at) in moves {
        match (status.clocks_paused(), stopped) {
            (true, None) => stopped = Some(*at),
            (false, _) => stopped = None,
            _ => {}
        }
    }
    stopped.map_or(now, |s: DateTime<Utc>| s.min(now))
}

/// The marks (bits of `sla_flags`) deadlines `d` allow once the clocks stand at `clock`: each
/// clock's warning and breach whose moment is reached — the first-response clock's by the
/// first response, when it came earlier (its clock stopped there).
pub fn marks_reached(
    d: &Deadlines,
    clock: DateTime<Utc>,
    first_responded_at: Option<DateTime<Utc>>,
) -> i32 {
    let first_response_clock = first_responded_at.map_or(clock, |r| r.min(clock));
    [
        (
            SlaFlag::FirstResponseWarned,
            d.first_response_warn_at,
            first_response_clock,
        ),
        (
            SlaFlag::FirstResponseBreached,
            d.first_response_due,
            first_response_clock,
        ),
        (SlaFlag::ResolutionWarned, d.resolution_warn_at, clock),
        (SlaFlag::ResolutionBreached, d.resolution_due, clock),
    ]
    .into_iter()
    .filter(|(_, moment, until)| moment <= until)
    .fold(0, |bits, (flag, _, _)| bits | flag as i32)
}

#[cfg(test)]
mod tests {
    use super::*;

    use kuaidi_shared::testing::time as t;

    /// Urgent from 08:00: first response warned 08:24, due 08:30; resolution 11:12, 12:00.
    fn urgent() -> Deadlines {
        Deadlines {
            first_response_due: t("2026-11-25T08:30:00Z"),
            first_response_warn_at: t("2026-11-25T08:24:00Z"),
            resolution_due: t("2026-11-25T12:00:00Z"),
            resolution_warn_at: t("2026-11-25T11:12:00Z"),
        }
    }

    const ALL: i32 = 15;
    const FIRST_RESPONSE: i32 =
        SlaFlag::FirstResponseWarned as i32 | SlaFlag::FirstResponseBreached as i32;

    #[test]
    fn marks_stand_only_for_moments_the_clock_has_reached() {
        let d = urgent();
        assert_eq!(marks_reached(&d, t("2026-11-25T08:00:00Z"), None), 0);
        assert_eq!(
            marks_reached(&d, t("2026-11-25T08:24:00Z"), None),
            SlaFlag::FirstResponseWarned as i32,
            "80 % reached, not yet due"
        );
        assert_eq!(
            marks_reached(&d, t("2026-11-25T11:30:00Z"), None),
            FIRST_RESPONSE | SlaFlag::ResolutionWarned as i32
        );
        assert_eq!(marks_reached(&d, t("2026-11-25T12:00:00Z"), None), ALL);
    }

    #[test]
    fn a_deadline_moved_out_but_still_passed_keeps_its_marks() {
        // A policy of 60 / 600 minutes instead of 30 / 240, at 09:00: first response warned
        // 08:48 and due 09:00 (still reached), resolution 15:00 / 18:00 (no longer).
        let moved = Deadlines {
            first_response_due: t("2026-11-25T09:00:00Z"),
            first_response_warn_at: t("2026-11-25T08:48:00Z"),
            resolution_due: t("2026-11-25T18:00:00Z"),
            resolution_warn_at: t("2026-11-25T15:00:00Z"),
        };
        assert_eq!(
            marks_reached(&moved, t("2026-11-25T09:00:00Z"), None),
            FIRST_RESPONSE,
            "the first response's marks stand, the resolution's go"
        );
    }

    #[test]
    fn a_first_response_stops_its_clock() {
        let d = urgent();
        let answered = Some(t("2026-11-25T08:27:00Z"));
        assert_eq!(
            marks_reached(&d, t("2026-11-25T11:12:00Z"), answered),
            SlaFlag::FirstResponseWarned as i32 | SlaFlag::ResolutionWarned as i32,
            "answered after 80 % but before the deadline: warned, never breached"
        );
    }

    #[test]
    fn clocks_stand_still_from_the_moment_a_case_awaits_feedback() {
        let now = t("2026-11-26T08:00:00Z");
        let mut moves = vec![
            (Status::Received, t("2026-11-25T08:00:00Z")),
            (Status::AwaitingFeedback, t("2026-11-25T09:00:00Z")),
            (Status::Reopened, t("2026-11-25T10:00:00Z")),
        ];
        assert_eq!(clocks_stand_at(&moves, now), now, "running");
        moves.push((Status::AwaitingFeedback, t("2026-11-25T11:00:00Z")));
        moves.push((Status::Closed, t("2026-11-25T12:00:00Z")));
        assert_eq!(
            clocks_stand_at(&moves, now),
            t("2026-11-25T11:00:00Z"),
            "stopped when it first awaited feedback, closed since"
        );
    }
}
