//! Consents, ownership, handover, merge and classification bodies.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use utoipa::ToSchema;
use uuid::Uuid;

/// One purpose in `PUT /api/v1/customers/{id}/consents`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConsentChange {
    pub granted: bool,
    /// Where it was given, e.g. `app`, `phone`, `web`, `paper` (defaults to `api`).
    #[serde(default)]
    pub source: Option<String>,
    /// When it was given (defaults to now).
    #[serde(default)]
    pub at: Option<DateTime<Utc>>,
}

/// Body of `PUT /api/v1/customers/{id}/consents`: purposes not named are left as they are.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"consents": {"care_messages": {"granted": true, "source": "app"}}}))]
pub struct PutConsents {
    /// Keyed by purpose: `marketing` | `care_messages` | `profile_extras`.
    pub consents: BTreeMap<String, ConsentChange>,
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

/// Answer of an undone merge: both records as they were before it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct UndoResult {
    pub merge_id: Uuid,
    pub undone_at: DateTime<Utc>,
    pub survivor: crate::api::customers::Customer,
    pub duplicate: crate::api::customers::Customer,
}
