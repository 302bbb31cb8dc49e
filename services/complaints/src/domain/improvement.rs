//! Reading an improvement action's body onto a row: every field checked, every problem named.

use chrono::{DateTime, Utc};
use kuaidi_shared::ApiError;
use serde_json::Value;
use uuid::Uuid;

use super::fields::Fields;
use super::vocab::{ImprovementStatus, RootCause};

/// The fields of an improvement action as given (`None`: not given).
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Changes {
    pub root_cause: Option<RootCause>,
    pub goal: Option<String>,
    pub method: Option<String>,
    pub owner_id: Option<Uuid>,
    pub due_at: Option<DateTime<Utc>>,
    pub status: Option<ImprovementStatus>,
    pub metric: Option<String>,
    pub baseline: Option<String>,
    pub result: Option<String>,
    pub complaint_ids: Option<Vec<Uuid>>,
}

impl Changes {
    /// `creating`: `root_cause` and `goal` are required.
    pub fn parse(body: Value, creating: bool) -> Result<Self, ApiError> {
        let mut f = Fields::new(body);
        let complaint_ids = match f.raw().get("complaint_ids").cloned() {
            None | Some(Value::Null) => None,
            Some(v) => match serde_json::from_value::<Vec<Uuid>>(v) {
                Ok(ids) => Some(ids),
                Err(_) => {
                    f.errors.push(kuaidi_shared::FieldError::new(
                        "complaint_ids",
                        "must be an array of case ids",
                    ));
                    None
                }
            },
        };
        let c = Changes {
            root_cause: f.one_of("root_cause", creating, &RootCause::listed()),
            goal: f.text("goal", creating),
            method: f.text("method", false),
            owner_id: f.uuid("owner_id", false),
            due_at: f.time("due_at", false),
            status: f.one_of("status", false, &ImprovementStatus::listed()),
            metric: f.text("metric", false),
            baseline: f.text("baseline", false),
            result: f.text("result", false),
            complaint_ids,
        };
        if f.ok() {
            Ok(c)
        } else {
            Err(ApiError::Validation(f.errors))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_new_action_needs_a_root_cause_from_the_taxonomy_and_a_goal() {
        match Changes::parse(
            json!({"root_cause": "bad_luck", "status": "someday", "complaint_ids": ["x"]}),
            true,
        ) {
            Err(ApiError::Validation(e)) => assert_eq!(
                e.into_iter().map(|e| e.field).collect::<Vec<_>>(),
                vec!["complaint_ids", "root_cause", "goal", "status"]
            ),
            other => panic!("expected 422, got {other:?}"),
        }
        assert!(
            Changes::parse(json!({"result": "done"}), false).is_ok(),
            "a patch may give one field"
        );
    }
}
