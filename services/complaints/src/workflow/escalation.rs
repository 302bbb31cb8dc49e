//! What the service does when it escalates a case by itself (an SLA breach, an aged claim):
//! the history entry, `complaint.escalated` (automatic) and a notification in the inbox of the
//! supervisor of the case's department (SPEC §6 "escalates one level and notifies the
//! supervisor"), gathered for many cases and written in a few statements.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use kuaidi_shared::clock::new_id;
use std::collections::HashMap;
use uuid::Uuid;

use crate::db::complaints::ComplaintRow;
use crate::db::history::{self, NewHistory};
use crate::db::notifications::{self, NotificationRow};
use crate::domain::departments::RECEIVING;
use crate::events::emit::{case_event, Emitter, Facts};

/// The kind of inbox entry an automatic escalation leaves.
pub const ESCALATED: &str = "escalated";
/// The kind of inbox entry an SLA breach leaves on a case already at the top level (nothing is
/// left to escalate; the supervisor is told all the same).
pub const SLA_BREACHED: &str = "sla_breached";

/// History entries and notifications of a sweep, written together by [`Trail::write`].
pub struct Trail {
    supervisors: HashMap<String, Option<Uuid>>,
    pub entries: Vec<NewHistory>,
    notices: Vec<NotificationRow>,
}

impl Trail {
    /// Starts a trail knowing each department's supervisor.
    pub fn load(conn: &mut PgConnection) -> QueryResult<Self> {
        Ok(Self {
            supervisors: crate::db::departments::supervisors(conn)?,
            entries: Vec::new(),
            notices: Vec::new(),
        })
    }

    /// The department answerable for a case (the receiving one until it is assigned) and its
    /// supervisor.
    pub fn supervisor_of(&self, row: &ComplaintRow) -> (String, Option<Uuid>) {
        let department = row
            .department
            .clone()
            .unwrap_or_else(|| RECEIVING.to_string());
        let supervisor = self.supervisors.get(&department).copied().flatten();
        (department, supervisor)
    }

    /// Records an automatic escalation of `row` (already one level up): the history entry,
    /// the event naming the supervisor told, and the supervisor's notification.
    pub fn escalated(
        &mut self,
        em: &mut Emitter<'_>,
        row: &ComplaintRow,
        facts: &Facts,
        reason: String,
        now: DateTime<Utc>,
    ) {
        let level = crate::workflow::actions::level(row.escalation_level);
        let (department, supervisor) = self.supervisor_of(row);
        self.entries.push(NewHistory::system(
            row,
            "escalate",
            serde_json::json!({
                "reason": reason, "automatic": true,
                "notified": {"department": department, "supervisor_id": supervisor},
            }),
            now,
        ));
        em.push(
            row.id,
            &case_event!(ComplaintEscalatedV1, facts, {
                from_level: (level - 1).max(0), to_level: level, reason: reason.clone(),
                automatic: true, escalated_at: now, supervisor_id: supervisor,
            }),
        );
        self.notify(row, ESCALATED, reason, now);
    }

    /// Tells the supervisor of the case's department of `row` in their inbox.
    pub fn notify(&mut self, row: &ComplaintRow, kind: &str, reason: String, now: DateTime<Utc>) {
        let (department, supervisor) = self.supervisor_of(row);
        self.notices.push(NotificationRow {
            id: new_id(),
            recipient_id: supervisor,
            department,
            complaint_id: row.id,
            kind: kind.into(),
            payload: serde_json::json!({
                "number": row.number, "reason": reason, "escalation_level": row.escalation_level,
                "priority": row.priority, "status": row.status,
                "assignee_id": row.assignee_id,
            }),
            created_at: now,
            read_at: None,
        });
    }

    /// Appends the history entries and delivers the notifications.
    pub fn write(self, conn: &mut PgConnection) -> QueryResult<()> {
        history::append_all(conn, &self.entries)?;
        notifications::insert_all(conn, &self.notices)?;
        Ok(())
    }
}
