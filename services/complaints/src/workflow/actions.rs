//! Applying a lifecycle action to a case: the transition, its effects, the history entry, the
//! SLA clocks and the events, in one transaction.

use chrono::{DateTime, Utc};
use diesel::PgConnection;
use kuaidi_shared::auth::{Principal, Role};
use kuaidi_shared::request::RequestContext;
use kuaidi_shared::ApiError;
use serde_json::{json, Value};
use uuid::Uuid;

use crate::configuration::Rules;
use crate::db::complaints::{self as repo, ComplaintRow};
use crate::db::{customers, departments};
use crate::domain::commands::{self, Command};
use crate::domain::departments::{agent_may_transfer, may_assign};
use crate::domain::intake::fast_lane;
use crate::domain::lifecycle::{allowed_actions, transition, Action, Status, Target};
use crate::domain::vocab::Department;
use crate::events::emit::{case_event, Emitter, Facts};

/// The highest escalation level (3: director).
pub const TOP_LEVEL: i32 = 3;

/// An action to apply.
pub struct Request {
    pub id: Uuid,
    pub action: Action,
    /// The body as given: validated for the action only once the action is known to be legal
    /// in the case's status (an illegal transition is a 409 whatever the body).
    pub body: Value,
    /// The version named by `If-Match`, if any.
    pub if_match: Option<i32>,
    /// The service acting on its own (a proactive case given to the customer's owner, SPEC
    /// §6): the department rules of a person's assignment do not apply, since the SPEC names
    /// the assignee and the directory may not list the owner (see `workflow::proactive`).
    pub by_service: bool,
}

/// The case after the action, and the survey link a resolution issues.
pub struct Done {
    pub row: ComplaintRow,
    pub survey_link: Option<String>,
}

/// The stored status of a case.
pub fn status_of(row: &ComplaintRow) -> Result<Status, ApiError> {
    row.status
        .parse()
        .map_err(|_| ApiError::Internal(anyhow::anyhow!("unknown stored status {}", row.status)))
}

/// `409` naming what may be done instead.
pub fn illegal(from: Status, action: Action) -> ApiError {
    illegal_transition(from, action, &allowed_actions(from))
}

/// `409 illegal_transition` with the current status and the actions allowed in it.
pub fn illegal_transition<S: std::fmt::Display, A: std::fmt::Display>(
    from: S,
    action: A,
    allowed: &[A],
) -> ApiError {
    let allowed: Vec<String> = allowed.iter().map(|a| a.to_string()).collect();
    let mut extensions = serde_json::Map::new();
    extensions.insert("current_status".into(), json!(from.to_string()));
    extensions.insert("allowed_actions".into(), json!(allowed));
    ApiError::ConflictWith {
        code: "illegal_transition",
        detail: format!(
            "{action} is not allowed in status {from}; allowed: {}",
            allowed.join(", ")
        ),
        extensions,
    }
}

pub fn apply(
    conn: &mut PgConnection,
    req: &Request,
    who: &Principal,
    ctx: &RequestContext,
    now: DateTime<Utc>,
    rules: &Rules,
) -> Result<Done, ApiError> {
    let mut row = crate::db::complaints::visible_case(conn, who, req.id, true)?;
    if req.if_match.is_some_and(|v| v != row.version) {
        return Err(ApiError::PreconditionFailed);
    }
    let from = status_of(&row)?;
    let target = transition(from, req.action).ok_or_else(|| illegal(from, req.action))?;
    let (command, payload) = commands::parse(req.action, req.body.clone())?;
    let to = match target {
        Target::To(s) => s,
        Target::Same => from,
        Target::TriagedOrClosed => match command {
            Command::Triage {
                reasonable: false, ..
            } => Status::Closed,
            _ => Status::Triaged,
        },
    };
    if let Command::Assign {
        assignee_id,
        department,
    } = command
    {
        if !req.by_service {
            within_department(conn, who, assignee_id, department)?;
        }
    }
    let mut em = Emitter::new(ctx, now);
    let before_level = row.escalation_level;
    let key_account = priority_for_key_account(conn, &row, &command)?;
    effects(&mut row, &command, key_account)?;
    let facts = Facts::load(conn, &row)?;
    let outward = command.is_outward() && row.first_responded_at.is_none();
    if outward {
        row.first_responded_at = Some(now);
        em.push(
            row.id,
            &case_event!(ComplaintFirstRespondedV1, &facts, {
                received_at: row.created_at,
                responded_at: now,
                within_sla: now <= row.first_response_due,
            }),
        );
    }
    row.status = to.to_string();
    repo::record(
        conn,
        repo::Entry {
            complaint_id: row.id,
            actor: &who.sub,
            actor_role: crate::db::history::role_of(who),
            action: req.action.as_ref(),
            from: Some(from.as_ref()),
            to: to.as_ref(),
            payload,
            at: now,
        },
    )?;
    announce(
        &mut em,
        &row,
        &facts,
        (req.action, &command),
        (from, to, before_level),
        who,
        now,
    );
    super::sla::refresh(conn, &mut row, now, rules)?;
    row.version += 1;
    row.updated_at = now;
    repo::save(conn, &row)?;
    let survey_link = match req.action {
        Action::Resolve => Some(super::surveys::issue_link(conn, &row, now)?),
        _ => None,
    };
    em.flush(conn)?;
    Ok(Done { row, survey_link })
}

/// SPEC §6: a case goes only to someone of the department it is given to (`422` on
/// `assignee_id` otherwise); an agent hands cases on only within their own department (`403`),
/// a transfer elsewhere being for supervisors and above.
fn within_department(
    conn: &mut PgConnection,
    who: &Principal,
    assignee: Uuid,
    department: Department,
) -> Result<(), ApiError> {
    if who.role == Role::Agent {
        let home = match who.sub.parse::<Uuid>() {
            Ok(me) => departments::placement(conn, me)?.member_of,
            Err(_) => None,
        };
        if !agent_may_transfer(home, department) {
            return Err(ApiError::Forbidden(format!(
                "agents assign within their own department; a transfer to {department} is for supervisors and above"
            )));
        }
    }
    let placement = departments::placement(conn, assignee)?;
    let staffed = departments::staffed(conn, department)?;
    may_assign(department, &placement, staffed)
        .map_err(|refusal| ApiError::validation("assignee_id", refusal.to_string()))
}

/// Whether `command` names a priority for a key account's case. The priority named (at
/// triage) is the base one, as at intake: a key account's case goes a level above it (SPEC §6
/// fast lane, `domain::intake::fast_lane`), so a triage never takes the lane away.
fn priority_for_key_account(
    conn: &mut PgConnection,
    row: &ComplaintRow,
    command: &Command,
) -> Result<bool, ApiError> {
    Ok(match (command, row.customer_id) {
        (
            Command::Triage {
                priority: Some(_), ..
            },
            Some(c),
        ) => customers::is_key_account(conn, c)?,
        _ => false,
    })
}

/// What the action changes on the case itself; `key_account`: the case's customer is one (a
/// priority given is raised a level, [`fast_lane`]).
fn effects(row: &mut ComplaintRow, command: &Command, key_account: bool) -> Result<(), ApiError> {
    match command {
        Command::Triage {
            category,
            priority,
            reasonable,
            root_cause,
            ..
        } => {
            row.category = Some(category.to_string());
            if let Some(p) = priority {
                row.priority = fast_lane(*p, key_account).to_string();
            }
            row.reasonable = Some(*reasonable);
            if !reasonable {
                row.resolution_code = Some("explained".into());
            }
            // Kept on the case from triage on; a close naming another replaces it.
            if let Some(r) = root_cause {
                row.root_cause = Some(r.to_string());
            }
        }
        Command::Assign {
            assignee_id,
            department,
        } => {
            row.assignee_id = Some(*assignee_id);
            row.department = Some(department.to_string());
        }
        Command::Propose { proposal } => row.proposal = Some(proposal.clone()),
        Command::Resolve { resolution, .. } => row.resolution = Some(resolution.clone()),
        Command::Close {
            resolution_code,
            root_cause,
        } => {
            row.resolution_code = Some(resolution_code.clone());
            // A root cause named earlier (e.g. at triage) stays unless a new one is given.
            if let Some(r) = root_cause {
                row.root_cause = Some(r.to_string());
            }
        }
        Command::Escalate { .. } => {
            if row.escalation_level >= TOP_LEVEL {
                return Err(ApiError::conflict(
                    "escalation_at_top",
                    "the case is already escalated to the director (level 3)",
                ));
            }
            row.escalation_level += 1;
        }
        Command::Investigate
        | Command::Approve
        | Command::Reject
        | Command::Reopen { .. }
        | Command::Comment { .. } => {}
    }
    Ok(())
}

/// The events of the action (besides the first response).
fn announce(
    em: &mut Emitter<'_>,
    row: &ComplaintRow,
    facts: &Facts,
    (action, command): (Action, &Command),
    (from, to, before_level): (Status, Status, i32),
    who: &Principal,
    now: DateTime<Utc>,
) {
    match command {
        Command::Assign { department, .. } => em.push(
            row.id,
            &case_event!(ComplaintAssignedV1, facts, {
                department: department.to_string(),
                assigned_at: now,
            }),
        ),
        Command::Escalate { reason } => em.push(
            row.id,
            &case_event!(ComplaintEscalatedV1, facts, {
                from_level: level(before_level),
                to_level: level(row.escalation_level),
                reason: reason.clone(),
                automatic: false,
                escalated_at: now,
                supervisor_id: None,
            }),
        ),
        Command::Reopen { reason } => em.push(
            row.id,
            &case_event!(ComplaintReopenedV1, facts, {
                reason: reason.clone(),
                reopened_at: now,
            }),
        ),
        _ => {}
    }
    if from != to {
        status_changed(
            em,
            row,
            facts,
            (from, to),
            action.as_ref(),
            Some(who.sub.clone()),
            now,
        );
    }
}

/// `complaint.status_changed`, plus `complaint.closed` when the case closed.
pub fn status_changed(
    em: &mut Emitter<'_>,
    row: &ComplaintRow,
    facts: &Facts,
    (from, to): (Status, Status),
    action: &str,
    actor: Option<String>,
    now: DateTime<Utc>,
) {
    em.push(
        row.id,
        &case_event!(ComplaintStatusChangedV1, facts, {
            from: from.to_string(),
            to: to.to_string(),
            action: action.to_owned(),
            actor_id: actor,
            occurred_at: now,
        }),
    );
    if to == Status::Closed {
        em.push(
            row.id,
            &case_event!(ComplaintClosedV1, facts, {
                received_at: row.created_at,
                first_responded_at: row.first_responded_at,
                closed_at: now,
                resolution_code: row.resolution_code.clone(),
                root_cause: row.root_cause.clone(),
                type_: row.type_.clone(),
            }),
        );
    }
}

/// An escalation level as the events carry it.
pub fn level(l: i32) -> i16 {
    i16::try_from(l).unwrap_or(i16::MAX)
}
