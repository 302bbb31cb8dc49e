//! SLA clocks of cases: deadlines recomputed from the policy and the history, and the sweep
//! that warns at 80 % (*default*) and escalates at 100 % (set-based, one statement per clock
//! and stage).

use chrono::{DateTime, Duration, Utc};
use diesel::prelude::*;
use diesel::sql_types::Timestamptz;
use kuaidi_shared::request::RequestContext;
use kuaidi_shared::ApiError;
use std::collections::HashMap;
use uuid::Uuid;

use super::escalation::Trail;
use crate::configuration::Rules;
use crate::db::complaints::{self as repo, ComplaintRow, SlaFlag};
use crate::db::history::NewHistory;
use crate::db::schema::{complaint_history, complaints};
use crate::domain::lifecycle::Status;
use crate::domain::sla::{clocks_stand_at, deadlines, marks_reached, pauses, Calendar, Deadlines};
use crate::events::emit::{case_event, cities, Emitter, Facts};

/// The policy row of uncategorised cases (categorised at triage).
pub const UNCATEGORISED: &str = "other";

/// A stored calendar (`None` or unreadable: 24×7).
pub fn calendar(stored: Option<serde_json::Value>) -> Calendar {
    stored
        .and_then(|v| serde_json::from_value(v).ok())
        .unwrap_or_default()
}

fn moves_of(rows: Vec<(String, DateTime<Utc>)>) -> Vec<(Status, DateTime<Utc>)> {
    rows.into_iter()
        .filter_map(|(s, at)| s.parse().ok().map(|s| (s, at)))
        .collect()
}

fn set(row: &mut ComplaintRow, d: Deadlines) {
    row.first_response_due = d.first_response_due;
    row.first_response_warn_at = d.first_response_warn_at;
    row.resolution_due = d.resolution_due;
    row.resolution_warn_at = d.resolution_warn_at;
}

/// A case's deadlines under a policy, from its history: counted until where its clocks stand
/// (`now`, or when they stopped if the case awaits feedback or is closed: a stopped clock's
/// deadlines are those it stopped with, whenever they are computed), with the SLA marks they
/// leave standing (`domain::sla::marks_reached`).
fn computed(
    created_at: DateTime<Utc>,
    first_responded_at: Option<DateTime<Utc>>,
    policy: (i32, i32, &Calendar),
    moves: &[(Status, DateTime<Utc>)],
    now: DateTime<Utc>,
    rules: &Rules,
) -> (Deadlines, i32) {
    let (fr, res, cal) = policy;
    let stood = clocks_stand_at(moves, now);
    let d = deadlines(
        created_at,
        fr,
        res,
        cal,
        &pauses(moves, stood),
        rules.sla.warn_percent,
    );
    (d, marks_reached(&d, stood, first_responded_at))
}

/// Recomputes a case's deadlines from its policy and its history (pauses included), and drops
/// the SLA marks they no longer reach.
pub fn refresh(
    conn: &mut PgConnection,
    row: &mut ComplaintRow,
    now: DateTime<Utc>,
    rules: &Rules,
) -> Result<(), ApiError> {
    let category = row.category.clone().unwrap_or_else(|| UNCATEGORISED.into());
    let (fr, res, cal) = repo::policy(conn, &category, &row.priority)?.ok_or_else(|| {
        ApiError::Internal(anyhow::anyhow!(
            "no SLA policy for {category}/{}",
            row.priority
        ))
    })?;
    let moves = moves_of(repo::moves(conn, row.id)?);
    let cal = calendar(cal);
    let (d, keep) = computed(
        row.created_at,
        row.first_responded_at,
        (fr, res, &cal),
        &moves,
        now,
        rules,
    );
    set(row, d);
    row.sla_flags &= keep;
    Ok(())
}

/// After a policy change: recomputes every open case under the changed (category, priority)
/// rows, loading their histories in one query and writing the deadlines in one statement; a
/// case's warning or breach whose moment the new deadlines put beyond where its clock stands
/// is taken away (and announced again if the case reaches the new moment).
pub fn recompute_open(
    conn: &mut PgConnection,
    changed: &[(String, String)],
    now: DateTime<Utc>,
    rules: &Rules,
) -> QueryResult<usize> {
    let mut total = 0;
    for (category, priority) in changed {
        let (fr, res, cal) = match repo::policy(conn, category, priority)? {
            Some(p) => p,
            None => continue,
        };
        let cal = calendar(cal);
        let mut q = complaints::table
            .filter(complaints::status.ne(Status::Closed.as_ref()))
            .filter(complaints::priority.eq(priority))
            .into_boxed();
        q = if category == UNCATEGORISED {
            q.filter(
                complaints::category
                    .eq(category)
                    .or(complaints::category.is_null()),
            )
        } else {
            q.filter(complaints::category.eq(category))
        };
        let cases: Vec<(Uuid, DateTime<Utc>, Option<DateTime<Utc>>)> = q
            .select((
                complaints::id,
                complaints::created_at,
                complaints::first_responded_at,
            ))
            .load(conn)?;
        let ids: Vec<Uuid> = cases.iter().map(|c| c.0).collect();
        let mut moves: HashMap<Uuid, Vec<(String, DateTime<Utc>)>> = HashMap::new();
        for (id, s, at) in complaint_history::table
            .filter(complaint_history::complaint_id.eq_any(&ids))
            .order(complaint_history::id.asc())
            .select((
                complaint_history::complaint_id,
                complaint_history::to_status,
                complaint_history::at,
            ))
            .load::<(Uuid, String, DateTime<Utc>)>(conn)?
        {
            moves.entry(id).or_default().push((s, at));
        }
        let recomputed: Vec<(Uuid, Deadlines, i32)> = cases
            .into_iter()
            .map(|(id, created, responded)| {
                let m = moves_of(moves.remove(&id).unwrap_or_default());
                let (d, keep) = computed(created, responded, (fr, res, &cal), &m, now, rules);
                (id, d, keep)
            })
            .collect();
        total += repo::set_deadlines(conn, &recomputed, now)?;
    }
    Ok(total)
}

/// Which clock and which threshold a sweep statement handles.
#[derive(Clone, Copy)]
enum Stage {
    FirstResponseWarning,
    FirstResponseBreach,
    ResolutionWarning,
    ResolutionBreach,
}

/// Most cases one sweep statement marks: a run stays short (its transaction locks the cases it
/// marks), and a backlog — the first run after an outage — drains over runs that follow one
/// another at once (`Job::in_batches(SWEEP_BATCH)`), the most overdue first.
pub const SWEEP_BATCH: usize = 1_000;

/// The SLA sweep in batches of [`SWEEP_BATCH`] per clock and threshold.
pub fn sweep(conn: &mut PgConnection, now: DateTime<Utc>) -> anyhow::Result<usize> {
    sweep_at_most(conn, now, SWEEP_BATCH)
}

/// The SLA sweep: one UPDATE ... RETURNING per clock and threshold (at most `limit` cases each,
/// the most overdue first), one history insert, one outbox insert. Each case warns and breaches
/// at most once per clock and deadline (a recomputed deadline the case has not reached yet
/// takes the mark away, [`recompute_open`], and is announced when reached), and each mark is a
/// new version of the case; a breach escalates one
/// level (`complaint.escalated`, automatic) and notifies the supervisor of the case's
/// department in their inbox — on a case already at the top level (3, director) it only
/// notifies (inbox kind `sla_breached`).
pub fn sweep_at_most(
    conn: &mut PgConnection,
    now: DateTime<Utc>,
    limit: usize,
) -> anyhow::Result<usize> {
    let ctx = RequestContext::detached();
    let mut em = Emitter::new(&ctx, now);
    let mut trail = Trail::load(conn)?;
    let mut touched = 0;
    for stage in [
        Stage::FirstResponseWarning,
        Stage::FirstResponseBreach,
        Stage::ResolutionWarning,
        Stage::ResolutionBreach,
    ] {
        let marked = mark(conn, stage, now, limit)?;
        touched += marked.len();
        let rows: Vec<ComplaintRow> = marked.iter().map(|m| m.row.clone()).collect();
        let cities = cities(conn, &rows)?;
        for m in &marked {
            let city = m
                .row
                .tracking_number
                .as_ref()
                .and_then(|t| cities.get(t).cloned());
            let facts = Facts::of(&m.row, city);
            announce(&mut em, &mut trail, m, facts, stage, now);
        }
    }
    trail.write(conn)?;
    em.flush(conn)?;
    Ok(touched)
}

/// A case a sweep statement marked, and its escalation level before.
struct Marked {
    row: ComplaintRow,
    before_level: i32,
}

impl QueryableByName<diesel::pg::Pg> for Marked {
    fn build<'a>(
        row: &impl diesel::row::NamedRow<'a, diesel::pg::Pg>,
    ) -> diesel::deserialize::Result<Self> {
        Ok(Self {
            row: <ComplaintRow as QueryableByName<diesel::pg::Pg>>::build(row)?,
            before_level: diesel::row::NamedRow::get::<diesel::sql_types::Integer, i32>(
                row,
                "before_level",
            )?,
        })
    }
}

impl Marked {
    /// Whether the mark escalated the case (a breach below the top level).
    fn escalated(&self) -> bool {
        self.row.escalation_level > self.before_level
    }
}

fn mark(
    conn: &mut PgConnection,
    stage: Stage,
    now: DateTime<Utc>,
    limit: usize,
) -> QueryResult<Vec<Marked>> {
    let (flag, column, breach, first_response) = match stage {
        Stage::FirstResponseWarning => (
            SlaFlag::FirstResponseWarned,
            "first_response_warn_at",
            false,
            true,
        ),
        Stage::FirstResponseBreach => (
            SlaFlag::FirstResponseBreached,
            "first_response_due",
            true,
            true,
        ),
        Stage::ResolutionWarning => (
            SlaFlag::ResolutionWarned,
            "resolution_warn_at",
            false,
            false,
        ),
        Stage::ResolutionBreach => (SlaFlag::ResolutionBreached, "resolution_due", true, false),
    };
    // Every mark changes what the case shows (`sla.warned`, `sla.breached`), so its version
    // and ETag move with it; a breach also escalates, except at the top level already.
    let escalate = if breach {
        ", escalation_level = LEAST(c.escalation_level + 1, 3)"
    } else {
        ""
    };
    let responded = if first_response {
        "AND first_responded_at IS NULL"
    } else {
        ""
    };
    // A breach follows its clock's warning (marked first, in this run or an earlier one), so a
    // backlog drained in batches still announces every warning before its breach.
    let warned = match stage {
        Stage::FirstResponseBreach => format!(
            "AND sla_flags & {} <> 0",
            SlaFlag::FirstResponseWarned as i32
        ),
        Stage::ResolutionBreach => {
            format!("AND sla_flags & {} <> 0", SlaFlag::ResolutionWarned as i32)
        }
        _ => String::new(),
    };
    // The flag is a literal, as in the partial indexes' predicates (migration
    // `queue_indexes`): with a parameter the planner could not use them.
    let flag = flag as i32;
    // Cases another transaction holds (an agent acting on them) are left to the next run.
    diesel::sql_query(format!(
        "UPDATE complaints c SET sla_flags = c.sla_flags | {flag}, version = c.version + 1, \
                updated_at = $1 {escalate} \
         FROM (SELECT id AS due_id, escalation_level AS before_level FROM complaints \
               WHERE status NOT IN ('closed', 'awaiting_feedback') \
                 AND sla_flags & {flag} = 0 AND {column} <= $1 {responded} {warned} \
               ORDER BY {column} LIMIT {limit} FOR UPDATE SKIP LOCKED) d \
         WHERE c.id = d.due_id \
         RETURNING c.*, c.type AS type_, d.before_level"
    ))
    .bind::<Timestamptz, _>(now)
    .load(conn)
}

fn announce(
    em: &mut Emitter<'_>,
    trail: &mut Trail,
    marked: &Marked,
    facts: Facts,
    stage: Stage,
    now: DateTime<Utc>,
) {
    let row = &marked.row;
    let (clock, due, breach) = match stage {
        Stage::FirstResponseWarning => ("first_response", row.first_response_due, false),
        Stage::FirstResponseBreach => ("first_response", row.first_response_due, true),
        Stage::ResolutionWarning => ("resolution", row.resolution_due, false),
        Stage::ResolutionBreach => ("resolution", row.resolution_due, true),
    };
    let allowance = (due - row.created_at).max(Duration::seconds(1));
    let ratio = (now - row.created_at).num_seconds() as f64 / allowance.num_seconds() as f64;
    let level = super::actions::level(row.escalation_level);
    let action = if breach {
        "sla_breached"
    } else {
        "sla_warning"
    };
    trail.entries.push(NewHistory::system(
        row,
        action,
        serde_json::json!({"clock": clock, "due_at": due}),
        now,
    ));
    if !breach {
        em.push(
            row.id,
            &case_event!(ComplaintSlaWarningV1, &facts, {
                clock: clock.into(), due_at: due, elapsed_ratio: ratio, occurred_at: now,
                escalation_level: level,
            }),
        );
        return;
    }
    em.push(
        row.id,
        &case_event!(ComplaintSlaBreachedV1, &facts, {
            clock: clock.into(), due_at: due, elapsed_ratio: ratio, occurred_at: now,
            escalation_level: level,
        }),
    );
    let reason = format!("{clock} SLA breached");
    if marked.escalated() {
        trail.escalated(em, row, &facts, reason, now);
    } else {
        // Already with the director: nothing to escalate (no `escalate` entry, no
        // `complaint.escalated`), but the supervisor still hears of the breach.
        trail.notify(row, super::escalation::SLA_BREACHED, reason, now);
    }
}
