//! The body of each lifecycle action (SPEC §6 table), validated into a command.

use chrono::{DateTime, Utc};
use kuaidi_shared::ApiError;
use serde_json::Value;
use uuid::Uuid;

use super::fields::Fields;
use super::lifecycle::Action;
use super::vocab::{Category, Department, Measure, Priority, RootCause};

/// A validated action.
#[derive(Debug, Clone, PartialEq)]
pub enum Command {
    Triage {
        category: Category,
        priority: Option<Priority>,
        reasonable: bool,
        /// A reply sent to the customer: the first outward action.
        reply: Option<String>,
        root_cause: Option<RootCause>,
    },
    Assign {
        assignee_id: Uuid,
        department: Department,
    },
    Investigate,
    /// Measures, plan, compensation and the investigation report, kept as given.
    Propose {
        proposal: Value,
    },
    Approve,
    Reject,
    Resolve {
        resolution: String,
        customer_notified_at: Option<DateTime<Utc>>,
    },
    Close {
        resolution_code: String,
        /// Optional at close (SPEC §6 table: `close {resolution_code}`); checked against the
        /// taxonomy when given, and a root cause set earlier stays when not.
        root_cause: Option<RootCause>,
    },
    Reopen {
        reason: String,
    },
    Escalate {
        reason: String,
    },
    Comment {
        internal: bool,
    },
}

impl Command {
    /// Whether this action speaks to the customer (stamps `first_responded_at`).
    pub fn is_outward(&self) -> bool {
        match self {
            Command::Triage { reply, .. } => reply.is_some(),
            Command::Comment { internal } => !internal,
            Command::Resolve { .. } => true,
            _ => false,
        }
    }
}

/// Parses `body` for `action`, reporting every invalid field at once.
pub fn parse(action: Action, body: Value) -> Result<(Command, Value), ApiError> {
    let mut f = Fields::new(body);
    let command = read(action, &mut f);
    match command {
        Some(c) if f.ok() => Ok((c, f.raw())),
        _ => Err(ApiError::Validation(f.errors)),
    }
}

fn read(action: Action, f: &mut Fields) -> Option<Command> {
    Some(match action {
        Action::Triage => {
            let category = f.one_of("category", true, &Category::listed());
            let priority = f.one_of("priority", false, &Priority::listed());
            let reasonable = f.boolean("reasonable", true);
            f.text("note", false);
            let reply = f.text("reply", false);
            let root_cause = f.one_of("root_cause", false, &RootCause::listed());
            Command::Triage {
                category: category?,
                priority,
                reasonable: reasonable?,
                reply,
                root_cause,
            }
        }
        Action::Assign => {
            let assignee_id = f.uuid("assignee_id", true);
            let department = f.one_of("department", true, &Department::listed());
            Command::Assign {
                assignee_id: assignee_id?,
                department: department?,
            }
        }
        Action::Investigate => Command::Investigate,
        Action::Propose => {
            f.many_of::<Measure>("measures", &Measure::listed());
            f.text("plan", true);
            f.money("compensation", false);
            if let Some(mut report) = f.object("report", false) {
                for part in ["content", "process", "evidence_analysis", "conclusion"] {
                    report.text(part, true);
                }
                f.absorb("report", report);
            }
            Command::Propose { proposal: f.raw() }
        }
        Action::Approve => {
            f.text("reason", false);
            Command::Approve
        }
        Action::Reject => {
            f.text("reason", true)?;
            Command::Reject
        }
        Action::Resolve => {
            let resolution = f.text("resolution", true);
            let customer_notified_at = f.time("customer_notified_at", false);
            Command::Resolve {
                resolution: resolution?,
                customer_notified_at,
            }
        }
        Action::Close => {
            let code = f.text("resolution_code", true);
            let root_cause = f.one_of("root_cause", false, &RootCause::listed());
            Command::Close {
                resolution_code: code?,
                root_cause,
            }
        }
        Action::Reopen => Command::Reopen {
            reason: f.text("reason", true)?,
        },
        Action::Escalate => Command::Escalate {
            reason: f.text("reason", true)?,
        },
        Action::Comment => {
            f.text("text", true);
            let internal = f.boolean("internal", false).unwrap_or(true);
            Command::Comment { internal }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn refused(action: Action, body: Value) -> Vec<String> {
        match parse(action, body) {
            Err(ApiError::Validation(e)) => e.into_iter().map(|e| e.field).collect(),
            other => panic!("a validation error was expected, got {other:?}"),
        }
    }

    #[test]
    fn triage_reports_every_bad_field() {
        assert_eq!(
            refused(
                Action::Triage,
                json!({"category": "mood", "priority": "asap", "reasonable": "yes"})
            ),
            vec!["category", "priority", "reasonable"]
        );
    }

    #[test]
    fn a_triage_with_a_reply_is_outward() {
        let (c, _) = parse(
            Action::Triage,
            json!({"category": "delay", "reasonable": true, "note": "n", "reply": "sorry"}),
        )
        .expect("valid");
        assert!(c.is_outward());
        let (c, _) = parse(
            Action::Triage,
            json!({"category": "delay", "reasonable": true}),
        )
        .expect("valid");
        assert!(!c.is_outward(), "no reply, nothing said to the customer");
    }

    #[test]
    fn propose_checks_measures_plan_compensation_and_the_report() {
        assert_eq!(
            refused(
                Action::Propose,
                json!({"measures": ["hug"], "compensation": {"amount": "-1", "currency": "CNY"},
                       "report": {"content": "c"}})
            ),
            vec![
                "measures",
                "plan",
                "compensation",
                "report.process",
                "report.evidence_analysis",
                "report.conclusion"
            ]
        );
    }

    #[test]
    fn close_needs_a_resolution_code_and_a_root_cause_only_from_the_taxonomy() {
        assert_eq!(refused(Action::Close, json!({})), vec!["resolution_code"]);
        let (c, _) = parse(Action::Close, json!({"resolution_code": "refunded"})).expect("valid");
        assert_eq!(
            c,
            Command::Close {
                resolution_code: "refunded".into(),
                root_cause: None
            },
            "the root cause is optional at close"
        );
        assert_eq!(
            refused(
                Action::Close,
                json!({"resolution_code": "x", "root_cause": "bad_luck"})
            ),
            vec!["root_cause"]
        );
    }

    #[test]
    fn comments_are_internal_unless_said_otherwise() {
        let (c, _) = parse(Action::Comment, json!({"text": "called back"})).expect("valid");
        assert_eq!(c, Command::Comment { internal: true });
        let (c, _) =
            parse(Action::Comment, json!({"text": "hi", "internal": false})).expect("valid");
        assert!(c.is_outward());
    }

    #[test]
    fn text_postgres_cannot_store_is_refused_wherever_it_hides() {
        assert_eq!(
            refused(
                Action::Comment,
                json!({"text": "a\0b", "extra": {"k": ["\0"]}})
            ),
            vec!["extra", "text"]
        );
    }

    #[test]
    fn a_body_that_is_not_an_object_is_refused() {
        assert_eq!(refused(Action::Investigate, json!([1])), vec!["body"]);
        assert!(parse(Action::Investigate, Value::Null).is_ok());
    }
}
