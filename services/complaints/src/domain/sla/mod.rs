//! SLA arithmetic (SPEC §6): deadlines on a business calendar, with the clock stopped while a
//! case awaits the customer's feedback. Pauses are intervals taken from the case's history, so
//! any deadline can be recomputed (a changed policy) and explained; `marks.rs` says which
//! warnings and breaches a recomputed deadline leaves standing.

mod marks;

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveTime, Utc};
use serde::{Deserialize, Serialize};

use super::lifecycle::Status;
pub use marks::{clocks_stand_at, marks_reached, SlaFlag};

/// Working time of a policy. Absent: 24×7 (the phone line is 全天候).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Calendar {
    /// Offset of local time from UTC in minutes (480 for China Standard Time).
    #[serde(default)]
    pub utc_offset_minutes: i32,
    /// Daily working hours in local time, e.g. `{"start": "09:00", "end": "18:00"}`; absent:
    /// the whole day.
    #[serde(default)]
    pub working_hours: Option<WorkingHours>,
    /// ISO weekdays worked (1 Monday … 7 Sunday); empty: every day.
    #[serde(default)]
    pub working_days: Vec<u32>,
    /// Local dates not worked.
    #[serde(default)]
    pub holidays: Vec<NaiveDate>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WorkingHours {
    #[schema(value_type = String, example = "09:00")]
    pub start: NaiveTime,
    #[schema(value_type = String, example = "18:00")]
    pub end: NaiveTime,
}

impl Calendar {
    /// Problems with this calendar, if any.
    pub fn problems(&self) -> Vec<String> {
        let mut out = Vec::new();
        if self.utc_offset_minutes.abs() > 14 * 60 {
            out.push("utc_offset_minutes must be within ±840".to_owned());
        }
        if let Some(h) = &self.working_hours {
            if h.end <= h.start {
                out.push("working_hours.end must be after start".to_owned());
            }
        }
        if self.working_days.iter().any(|d| !(1..=7).contains(d)) {
            out.push("working_days must be ISO weekdays 1–7".to_owned());
        }
        out
    }

    fn offset(&self) -> Duration {
        Duration::minutes(i64::from(self.utc_offset_minutes))
    }

    /// The working window of a local date, in UTC.
    fn window(&self, day: NaiveDate) -> Option<(DateTime<Utc>, DateTime<Utc>)> {
        let worked = self.working_days.is_empty()
            || self
                .working_days
                .contains(&day.weekday().number_from_monday());
        if !worked || self.holidays.contains(&day) {
            return None;
        }
        let (start, end) = match &self.working_hours {
            Some(h) => (day.and_time(h.start), day.and_time(h.end)),
            None => (
                day.and_time(NaiveTime::MIN),
                (day + Duration::days(1)).and_time(NaiveTime::MIN),
            ),
        };
        Some((
            start.and_utc() - self.offset(),
            end.and_utc() - self.offset(),
        ))
    }

    /// The first working window ending after `t` (searching a year ahead).
    fn window_after(&self, t: DateTime<Utc>) -> Option<(DateTime<Utc>, DateTime<Utc>)> {
        let first = (t + self.offset()).date_naive() - Duration::days(1);
        (0..=370)
            .filter_map(|i| self.window(first + Duration::days(i)))
            .find(|(_, end)| *end > t)
    }
}

/// A stretch of time during which the clocks stood still.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pause {
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
}

/// The pauses in a case's history: from each move into a paused status (awaiting feedback,
/// closed) until the next move out of it; a pause still running ends at `now`.
pub fn pauses(moves: &[(Status, DateTime<Utc>)], now: DateTime<Utc>) -> Vec<Pause> {
    let mut out = Vec::new();
    let mut since: Option<DateTime<Utc>> = None;
    for (status, at) in moves {
        match (status.clocks_paused(), since) {
            (true, None) => since = Some(*at),
            (false, Some(from)) => {
                out.push(Pause { from, to: *at });
                since = None;
            }
            _ => {}
        }
    }
    if let Some(from) = since {
        out.push(Pause {
            from,
            to: now.max(from),
        });
    }
    out
}

/// The moment `allowance` of working time has run from `start`, not counting `pauses`.
pub fn deadline(
    start: DateTime<Utc>,
    allowance: Duration,
    calendar: &Calendar,
    pauses: &[Pause],
) -> DateTime<Utc> {
    let mut left = allowance;
    let mut t = start;
    if left <= Duration::zero() {
        return start;
    }
    for _ in 0..100_000 {
        let Some((open, close)) = calendar.window_after(t) else {
            return t + left; // a calendar with no working day: fall back to 24×7
        };
        let from = open.max(t);
        if let Some(p) = pauses.iter().find(|p| p.from <= from && from < p.to) {
            t = p.to;
            continue;
        }
        let until = pauses
            .iter()
            .filter(|p| p.from > from && p.from < close)
            .map(|p| p.from)
            .min()
            .unwrap_or(close);
        let available = until - from;
        if available >= left {
            return from + left;
        }
        left -= available;
        t = until;
    }
    t + left
}

/// The four moments the sweep watches for a case.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Deadlines {
    pub first_response_due: DateTime<Utc>,
    pub first_response_warn_at: DateTime<Utc>,
    pub resolution_due: DateTime<Utc>,
    pub resolution_warn_at: DateTime<Utc>,
}

/// Deadlines and warning times of a case received at `start` under a policy: the sweep warns
/// once `warn_percent` of an allowance has run (*default* 80, `[sla] warn_percent`).
pub fn deadlines(
    start: DateTime<Utc>,
    first_response_minutes: i32,
    resolution_minutes: i32,
    calendar: &Calendar,
    pauses: &[Pause],
    warn_percent: u32,
) -> Deadlines {
    let warn = i64::from(warn_percent);
    let at = |minutes: i32, percent: i64| {
        let allowance = Duration::seconds(i64::from(minutes) * 60 * percent / 100);
        deadline(start, allowance, calendar, pauses)
    };
    Deadlines {
        first_response_due: at(first_response_minutes, 100),
        first_response_warn_at: at(first_response_minutes, warn),
        resolution_due: at(resolution_minutes, 100),
        resolution_warn_at: at(resolution_minutes, warn),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use kuaidi_shared::testing::time as t;

    fn office() -> Calendar {
        Calendar {
            utc_offset_minutes: 480,
            working_hours: Some(WorkingHours {
                start: NaiveTime::from_hms_opt(9, 0, 0).expect("time"),
                end: NaiveTime::from_hms_opt(18, 0, 0).expect("time"),
            }),
            working_days: vec![1, 2, 3, 4, 5],
            holidays: vec![NaiveDate::from_ymd_opt(2026, 12, 1).expect("date")],
        }
    }

    fn pause(from: &str, to: &str) -> Pause {
        Pause {
            from: t(from),
            to: t(to),
        }
    }

    /// The deadline of `minutes` of `calendar`'s time from `start`, paused over each
    /// `(from, to)` of `paused`.
    fn deadline_from(
        start: &str,
        minutes: i64,
        calendar: &Calendar,
        paused: &[(&str, &str)],
    ) -> DateTime<Utc> {
        let pauses: Vec<Pause> = paused.iter().map(|&(from, to)| pause(from, to)).collect();
        deadline(t(start), Duration::minutes(minutes), calendar, &pauses)
    }

    /// The deadline of `minutes` of working time from `start`, in [`office`] hours, unpaused.
    fn in_office_hours(start: &str, minutes: i64) -> DateTime<Utc> {
        deadline_from(start, minutes, &office(), &[])
    }

    /// The deadlines of a case received 2026-11-25 08:00Z, around the clock and unpaused, with
    /// 30 minutes to a first response and 240 to a resolution, warned at `warn_percent`.
    fn warned_at(warn_percent: u32) -> Deadlines {
        let start = t("2026-11-25T08:00:00Z");
        deadlines(start, 30, 240, &Calendar::default(), &[], warn_percent)
    }

    #[test]
    fn around_the_clock_a_deadline_is_the_allowance_after_receipt() {
        let due = deadline_from("2026-11-30T23:50:00Z", 240, &Calendar::default(), &[]);
        assert_eq!(due, t("2026-12-01T03:50:00Z"));
    }

    #[test]
    fn a_pause_moves_the_deadline_by_its_length() {
        let paused = ("2026-11-25T09:00:00Z", "2026-11-25T11:30:00Z");
        let due = deadline_from("2026-11-25T08:00:00Z", 240, &Calendar::default(), &[paused]);
        assert_eq!(due, t("2026-11-25T14:30:00Z"), "4 h plus the 2.5 h paused");
    }

    #[test]
    fn a_pause_at_the_start_delays_the_start() {
        let paused = ("2026-11-25T07:00:00Z", "2026-11-25T09:00:00Z");
        let due = deadline_from("2026-11-25T08:00:00Z", 60, &Calendar::default(), &[paused]);
        assert_eq!(due, t("2026-11-25T10:00:00Z"));
    }

    #[test]
    fn office_hours_count_only_working_time_in_local_time() {
        // Friday 2026-11-27 17:00 Beijing (09:00Z): 1 h left on Friday, resumes Monday 09:00.
        let due = in_office_hours("2026-11-27T09:00:00Z", 120);
        assert_eq!(due, t("2026-11-30T02:00:00Z"), "Monday 10:00 Beijing");
    }

    #[test]
    fn a_case_received_at_night_starts_its_clock_next_morning() {
        // Wednesday 2026-11-25 22:00 Beijing (14:00Z).
        let due = in_office_hours("2026-11-25T14:00:00Z", 30);
        assert_eq!(due, t("2026-11-26T01:30:00Z"), "Thursday 09:30 Beijing");
    }

    #[test]
    fn holidays_are_skipped() {
        // Monday 2026-11-30 17:30 Beijing; Tuesday 1 December is a holiday.
        let due = in_office_hours("2026-11-30T09:30:00Z", 60);
        assert_eq!(due, t("2026-12-02T01:30:00Z"), "Wednesday 09:30 Beijing");
    }

    #[test]
    fn pauses_and_calendars_combine() {
        // Monday 09:00 Beijing (01:00Z), 8 h allowance, paused 10:00–12:00 Beijing.
        let paused = ("2026-11-30T02:00:00Z", "2026-11-30T04:00:00Z");
        let due = deadline_from("2026-11-30T01:00:00Z", 480, &office(), &[paused]);
        // 1 h before the pause, 6 h after (12:00–18:00), 1 h on Wednesday (Tuesday is a holiday).
        assert_eq!(due, t("2026-12-02T02:00:00Z"));
    }

    #[test]
    fn pauses_come_from_moves_into_and_out_of_awaiting_feedback() {
        let moves = [
            (Status::Received, t("2026-11-25T08:00:00Z")),
            (Status::AwaitingFeedback, t("2026-11-25T10:00:00Z")),
            (Status::Reopened, t("2026-11-25T12:00:00Z")),
            (Status::AwaitingFeedback, t("2026-11-25T15:00:00Z")),
        ];
        assert_eq!(
            pauses(&moves, t("2026-11-25T16:00:00Z")),
            vec![
                pause("2026-11-25T10:00:00Z", "2026-11-25T12:00:00Z"),
                pause("2026-11-25T15:00:00Z", "2026-11-25T16:00:00Z"),
            ],
            "the running pause ends now"
        );
    }

    #[test]
    fn the_warning_comes_at_eighty_percent_of_each_allowance() {
        let d = warned_at(80);
        assert_eq!(d.first_response_warn_at, t("2026-11-25T08:24:00Z"));
        assert_eq!(d.first_response_due, t("2026-11-25T08:30:00Z"));
        assert_eq!(d.resolution_warn_at, t("2026-11-25T11:12:00Z"));
        assert_eq!(d.resolution_due, t("2026-11-25T12:00:00Z"));
    }

    #[test]
    fn the_warning_share_is_configurable() {
        let d = warned_at(50);
        assert_eq!(d.first_response_warn_at, t("2026-11-25T08:15:00Z"));
        assert_eq!(d.resolution_warn_at, t("2026-11-25T10:00:00Z"));
        assert_eq!(
            d.resolution_due,
            t("2026-11-25T12:00:00Z"),
            "the deadline itself does not move"
        );
    }

    #[test]
    fn impossible_calendars_are_described() {
        let mut c = office();
        c.working_days = vec![0, 8];
        c.working_hours = Some(WorkingHours {
            start: NaiveTime::from_hms_opt(18, 0, 0).expect("time"),
            end: NaiveTime::from_hms_opt(9, 0, 0).expect("time"),
        });
        assert_eq!(c.problems().len(), 2);
    }
}
