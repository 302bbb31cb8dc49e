//! Consents, ownership, handover, merge and classification bodies.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::api::customers::ConsentState;
use crate::domain::enums::{parse_into, Purpose};
pub use crate::domain::profile::{ConsentChange, ConsentValue};
use kuaidi_shared::{ApiError, FieldError};

/// Purposes keyed by name (`marketing` | `care_messages` | `profile_extras`), each `true` /
/// `false` or `{granted, source, at}`.
pub type ConsentMap = BTreeMap<String, ConsentValue>;

/// The purposes under `consents`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WrappedConsents {
    /// Keyed by purpose: `marketing` | `care_messages` | `profile_extras`.
    pub consents: BTreeMap<String, ConsentValue>,
}

/// Body of `PUT /api/v1/customers/{id}/consents`: purposes not named are left as they are.
/// Either the purposes under `consents` (`{"consents": {"marketing": {"granted": true,
/// "source": "app"}}}` or `{"consents": {"marketing": true}}`), or the purposes alone
/// (`{"marketing": true, "care_messages": false}`).
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(untagged)]
#[schema(example = json!({"consents": {"care_messages": {"granted": true, "source": "app"}}}))]
pub enum PutConsents {
    Wrapped(WrappedConsents),
    Flat(BTreeMap<String, ConsentValue>),
}

impl PutConsents {
    /// The body read as this type, each purpose whose value is not one of the accepted shapes
    /// named in the refusal (serde's untagged enums can only say that nothing matched).
    pub fn parse(body: serde_json::Value) -> Result<Self, ApiError> {
        use serde_json::Value;
        let Value::Object(map) = body else {
            let shape = "an object of purposes, or {\"consents\": {...}}";
            return Err(ApiError::validation("body", shape));
        };
        let (prefix, purposes) = match map.get("consents") {
            Some(Value::Object(inner)) if map.len() == 1 => ("consents.", inner.clone()),
            Some(_) if map.len() == 1 => {
                return Err(ApiError::validation("consents", "an object of purposes"))
            }
            _ => ("", map),
        };
        let mut errors = Vec::new();
        let mut consents = BTreeMap::new();
        for (purpose, value) in purposes {
            match serde_json::from_value::<ConsentValue>(value) {
                Ok(v) => {
                    consents.insert(purpose, v);
                }
                Err(_) => errors.push(FieldError::new(
                    format!("{prefix}{purpose}"),
                    "true, false or {\"granted\": true|false, \"source\": \"...\", \"at\": \"...\"}",
                )),
            }
        }
        if !errors.is_empty() {
            return Err(ApiError::Validation(errors));
        }
        Ok(match prefix {
            "" => Self::Flat(consents),
            _ => Self::Wrapped(WrappedConsents { consents }),
        })
    }

    /// The purposes named, and the prefix of their field names in errors (`consents.` when
    /// they came under `consents`).
    pub fn purposes(self) -> (&'static str, ConsentMap) {
        match self {
            Self::Wrapped(w) => ("consents.", w.consents),
            Self::Flat(map) => ("", map),
        }
    }

    /// Every purpose checked at once into what to store; the source defaults to `api`, the
    /// time to `now`.
    pub fn changes(self, now: DateTime<Utc>) -> Result<Vec<(Purpose, ConsentState)>, ApiError> {
        let (prefix, purposes) = self.purposes();
        changes(prefix, purposes, now)
    }
}

/// `purposes` checked at once (unknown purposes and bad sources reported, each field named with
/// `prefix`); the source defaults to `api`, the time to `now`.
pub fn changes(
    prefix: &str,
    purposes: ConsentMap,
    now: DateTime<Utc>,
) -> Result<Vec<(Purpose, ConsentState)>, ApiError> {
    let mut errors = Vec::new();
    let mut out = Vec::new();
    for (purpose, change) in purposes {
        let field = format!("{prefix}{purpose}");
        let Some(p) = parse_into::<Purpose>(&mut errors, &field, &purpose) else {
            continue;
        };
        let change = ConsentChange::from(change);
        let source = change.source.unwrap_or_else(|| "api".into());
        if source.trim().is_empty() || source.chars().count() > 64 {
            errors.push(FieldError::new(
                format!("{field}.source"),
                "must be 1–64 characters",
            ));
        }
        let state = ConsentState {
            granted: change.granted,
            source,
            at: change.at.unwrap_or(now),
        };
        out.push((p, state));
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(ApiError::Validation(errors))
    }
}

/// A row of a customer's consent history.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ConsentEvent {
    pub purpose: String,
    pub granted: bool,
    pub source: String,
    pub at: DateTime<Utc>,
    pub actor: Option<String>,
}

/// Answer of `PUT /api/v1/customers/{id}/consents`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Consents {
    pub customer_id: Uuid,
    pub consents: BTreeMap<String, crate::api::customers::ConsentState>,
    /// Every change, oldest first.
    pub history: Vec<ConsentEvent>,
}

/// Body of `PUT /api/v1/customers/{id}/owner`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PutOwner {
    /// The new account manager; `null` leaves the customer unowned. The key is required: an
    /// empty body is a mistake, not a way to clear the owner.
    // `deserialize_with` makes serde refuse a missing key (an `Option` is otherwise `None`).
    #[serde(deserialize_with = "Option::deserialize")]
    #[schema(required = true)]
    pub owner_id: Option<Uuid>,
}

/// Body of `POST /api/v1/customers/handover`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Handover {
    pub from_owner_id: Uuid,
    pub to_owner_id: Uuid,
}

/// Answer of a handover.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct HandoverResult {
    pub handover_id: Uuid,
    pub from_owner_id: Uuid,
    pub to_owner_id: Uuid,
    pub customers_moved: i64,
    pub follow_ups_moved: i64,
}

/// Body of `POST /api/v1/customers/{id}/merge`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"duplicate_id": "0192f1c4-0000-7000-8000-000000000002",
    "prefer": {"name": "duplicate"}}))]
pub struct MergeRequest {
    pub duplicate_id: Uuid,
    /// Field → `survivor` | `duplicate`, for fields both records hold (survivor by default).
    /// Lists (phones, emails, addresses, tags, lanes) are united.
    #[serde(default)]
    pub prefer: BTreeMap<String, String>,
}

/// Answer of a merge (or of its dry run).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct MergeResult {
    /// `None` for a dry run.
    pub merge_id: Option<Uuid>,
    pub dry_run: bool,
    pub survivor_id: Uuid,
    pub duplicate_id: Uuid,
    /// The merged record.
    pub customer: crate::api::customers::Customer,
    pub undo_until: Option<DateTime<Utc>>,
}

/// A candidate duplicate pair.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct DuplicatePair {
    pub customer_id: Uuid,
    pub duplicate_id: Uuid,
    /// What they share: `phone`, `email`, `credit_code`, `name`.
    pub matched_on: Vec<String>,
}

/// Answer of a classification run.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ClassificationRun {
    /// `done`, or `busy` when another replica is running it.
    pub status: String,
    pub customers_changed: i64,
    pub ran_at: DateTime<Utc>,
}

/// Answer of an undone merge: both records as they were before it, but for the fields changed
/// since the merge (a handover, an edit), which keep their current values.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct UndoResult {
    pub merge_id: Uuid,
    pub undone_at: DateTime<Utc>,
    pub survivor: crate::api::customers::Customer,
    pub duplicate: crate::api::customers::Customer,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn parsed(body: serde_json::Value) -> Result<Vec<(Purpose, ConsentState)>, ApiError> {
        let now = DateTime::parse_from_rfc3339("2026-12-01T08:00:00Z")
            .expect("time")
            .with_timezone(&Utc);
        serde_json::from_value::<PutConsents>(body)
            .expect("an accepted shape")
            .changes(now)
    }

    #[test]
    fn the_full_the_boolean_and_the_flat_shapes_say_the_same() {
        let full = parsed(
            json!({"consents": {"marketing": {"granted": true, "source": "app"},
            "care_messages": {"granted": false}}}),
        )
        .expect("full");
        let booleans = parsed(json!({"consents": {"marketing": true, "care_messages": false}}))
            .expect("booleans");
        let flat = parsed(json!({"marketing": true, "care_messages": false})).expect("flat");
        for shape in [&full, &booleans, &flat] {
            let granted: Vec<_> = shape.iter().map(|(p, c)| (*p, c.granted)).collect();
            assert_eq!(
                granted,
                vec![(Purpose::CareMessages, false), (Purpose::Marketing, true)]
            );
        }
        assert_eq!(full[1].1.source, "app");
        assert_eq!(
            flat[1].1.source, "api",
            "a bare boolean is recorded as from the api"
        );
    }

    #[test]
    fn unknown_purposes_are_named_in_every_shape_and_wrong_types_are_refused() {
        for (body, field) in [
            (
                json!({"consents": {"telepathy": true}}),
                "consents.telepathy",
            ),
            (json!({"telepathy": {"granted": true}}), "telepathy"),
        ] {
            let Err(ApiError::Validation(errors)) = parsed(body) else {
                panic!("an unknown purpose is a validation error")
            };
            assert_eq!(errors[0].field, field);
        }
        for bad in [
            json!({"consents": {"marketing": "yes"}}),
            json!({"marketing": 1}),
            json!({"consents": {"marketing": {"granted": true, "color": "red"}}}),
        ] {
            assert!(
                serde_json::from_value::<PutConsents>(bad.clone()).is_err(),
                "{bad}"
            );
        }
    }

    #[test]
    fn a_purpose_of_the_wrong_shape_is_named_in_the_refusal() {
        let refused = |body| match PutConsents::parse(body) {
            Err(ApiError::Validation(errors)) => {
                errors.into_iter().map(|e| e.field).collect::<Vec<_>>()
            }
            other => panic!("not refused by field: {other:?}"),
        };
        assert_eq!(refused(json!({"marketing": "yes"})), ["marketing"]);
        assert_eq!(
            refused(json!({"consents": {"marketing": 1, "care_messages": true,
                "profile_extras": {"granted": "no"}}})),
            ["consents.marketing", "consents.profile_extras"]
        );
        assert_eq!(refused(json!(["marketing"])), ["body"]);
        assert_eq!(refused(json!({"consents": true})), ["consents"]);
        assert!(PutConsents::parse(json!({"marketing": true})).is_ok());
    }

    #[test]
    fn the_schema_offers_both_shapes_and_both_values() {
        use utoipa::PartialSchema;
        let schema = serde_json::to_value(PutConsents::schema()).expect("schema");
        assert_eq!(
            schema["oneOf"].as_array().map(Vec::len),
            Some(2),
            "{schema}"
        );
        let value = serde_json::to_value(ConsentValue::schema()).expect("schema");
        assert_eq!(value["oneOf"][0]["type"], "boolean", "{value}");
    }

    #[test]
    fn an_owner_change_must_name_the_owner_or_null() {
        let missing = serde_json::from_value::<PutOwner>(json!({}))
            .expect_err("an empty body does not clear the owner");
        assert_eq!(missing.to_string(), "missing field `owner_id`");
        let cleared = serde_json::from_value::<PutOwner>(json!({"owner_id": null}))
            .expect("an explicit null clears it");
        assert_eq!(cleared.owner_id, None);
        let owner = Uuid::now_v7();
        let named = serde_json::from_value::<PutOwner>(json!({"owner_id": owner})).expect("named");
        assert_eq!(named.owner_id, Some(owner));
        use utoipa::PartialSchema;
        let schema = serde_json::to_value(PutOwner::schema()).expect("schema");
        assert_eq!(schema["required"], json!(["owner_id"]), "{schema}");
    }
}
