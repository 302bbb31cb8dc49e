//! Reading an improvement action's body onto a row: every field checked, every problem named.

use chrono::{DateTime, Utc};
use kuaidi_shared::{ApiError, FieldError};
use serde::{Deserialize, Serialize};
use serde_json::{Number, Value};
use uuid::Uuid;

use super::fields::Fields;
use super::vocab::{ImprovementStatus, RootCause};

/// A measurement of an improvement action (`baseline`, `result`), kept and answered as given:
/// a number (`0.05`) stays a number, words (`"0.8%"`, `"3 in 1000 parcels"`) stay words.
// NOTE: integrators send either; SPEC §6 names the fields without a type.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(untagged)]
#[schema(example = 0.05)]
pub enum Measure {
    #[schema(value_type = f64)]
    Number(Number),
    Text(String),
}

impl Measure {
    /// A stored measurement (a JSON number or string); anything else is kept as its JSON text.
    pub fn from_json(value: Value) -> Self {
        match value {
            Value::Number(n) => Self::Number(n),
            Value::String(s) => Self::Text(s),
            other => Self::Text(other.to_string()),
        }
    }

    /// The JSON the measurement is stored as.
    pub fn into_json(self) -> Value {
        match self {
            Self::Number(n) => Value::Number(n),
            Self::Text(s) => Value::String(s),
        }
    }

    /// Field `name` of `f`: a number, or text as [`Fields::text`] takes it.
    fn read(f: &mut Fields, name: &str) -> Option<Self> {
        match f.raw().get(name) {
            Some(Value::Number(n)) => Some(Self::Number(n.clone())),
            None | Some(Value::Null | Value::String(_)) => f.text(name, false).map(Self::Text),
            Some(_) => {
                f.errors
                    .push(FieldError::new(name, "must be a number or a string"));
                None
            }
        }
    }
}

/// The fields of an improvement action as given (`None`: not given).
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Changes {
    pub root_cause: Option<RootCause>,
    pub goal: Option<String>,
    pub method: Option<String>,
    pub owner_id: Option<Uuid>,
    pub due_at: Option<DateTime<Utc>>,
    pub status: Option<ImprovementStatus>,
    /// What is measured: a name (`damage_rate`).
    pub metric: Option<String>,
    pub baseline: Option<Measure>,
    pub result: Option<Measure>,
    pub complaint_ids: Option<Vec<Uuid>>,
}

/// The fields a body may give (`api::improvements::ImprovementBody`).
const FIELDS: [&str; 10] = [
    "root_cause",
    "goal",
    "method",
    "owner_id",
    "due_at",
    "status",
    "metric",
    "baseline",
    "result",
    "complaint_ids",
];

/// Fields of an improvement action the service keeps itself.
const READ_ONLY: [&str; 4] = ["id", "created_at", "updated_at", "version"];

impl Changes {
    /// `creating`: `root_cause` and `goal` are required. A change (not `creating`) names only
    /// [`FIELDS`]: any other field is refused (as the workspace's other `PATCH` bodies do), so a
    /// misspelt field is not a change that silently changes nothing.
    pub fn parse(body: Value, creating: bool) -> Result<Self, ApiError> {
        let mut f = Fields::new(body);
        if !creating {
            refuse_unknown(&mut f);
        }
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
            baseline: Measure::read(&mut f, "baseline"),
            result: Measure::read(&mut f, "result"),
            complaint_ids,
        };
        if f.ok() {
            Ok(c)
        } else {
            Err(ApiError::Validation(f.errors))
        }
    }
}

/// Names each field of a change that is not one of [`FIELDS`].
fn refuse_unknown(f: &mut Fields) {
    let Value::Object(given) = f.raw() else {
        return;
    };
    for key in given.keys().filter(|k| !FIELDS.contains(&k.as_str())) {
        let message = if READ_ONLY.contains(&key.as_str()) {
            "is read-only".to_owned()
        } else {
            format!(
                "is not a field of an improvement action; fields: {}",
                FIELDS.join(", ")
            )
        };
        f.errors.push(FieldError::new(key.as_str(), message));
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

    #[test]
    fn a_baseline_or_result_is_a_number_or_words_and_nothing_else() {
        let given = Changes::parse(json!({"baseline": 0.05, "result": "0.3%"}), false);
        let c = given.expect("a number and words are both measurements");
        assert_eq!(
            c.baseline,
            Some(Measure::Number(Number::from_f64(0.05).expect("finite")))
        );
        assert_eq!(c.result, Some(Measure::Text("0.3%".into())));
        let whole = Changes::parse(json!({"baseline": 12}), false).expect("an integer");
        assert_eq!(
            whole.baseline.map(Measure::into_json),
            Some(json!(12)),
            "kept as given"
        );
        match Changes::parse(
            json!({"baseline": true, "result": {"rate": 1}, "metric": 3}),
            false,
        ) {
            Err(ApiError::Validation(e)) => assert_eq!(
                e.into_iter()
                    .map(|e| (e.field, e.message))
                    .collect::<Vec<_>>(),
                vec![
                    ("metric".into(), "must be a string".into()),
                    ("baseline".into(), "must be a number or a string".into()),
                    ("result".into(), "must be a number or a string".into()),
                ]
            ),
            other => panic!("expected 422, got {other:?}"),
        }
    }

    #[test]
    fn a_change_names_only_fields_of_an_improvement_action() {
        match Changes::parse(json!({"stauts": "done", "version": 3, "goal": "g"}), false) {
            Err(ApiError::Validation(e)) => assert_eq!(
                e.into_iter().map(|e| e.field).collect::<Vec<_>>(),
                vec!["stauts", "version"]
            ),
            other => panic!("expected 422, got {other:?}"),
        }
        assert_eq!(
            Changes::parse(json!({}), false).expect("an empty change is valid"),
            Changes::default()
        );
    }

    #[test]
    fn a_stored_measurement_reads_back_as_it_was_given() {
        for given in [json!(0.05), json!(7), json!("0.8%")] {
            assert_eq!(Measure::from_json(given.clone()).into_json(), given);
        }
    }
}
