//! Feedback case bodies.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

/// Body of `POST /api/v1/complaints`. Besides these, SPEC §2.1 makes every other field of a
/// case optional on create: the ones the lifecycle sets (`department`, `assignee_id`,
/// `reasonable`, `escalation_level`, `status`, `sla`, `root_cause`, `resolution`,
/// `satisfaction`, ...) are accepted and ignored — a new case is `received` and is triaged and
/// assigned through its actions.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[schema(example = json!({
    "type": "complaint",
    "channel": "phone",
    "description": "The parcel is three days late and nobody called.",
    "tracking_number": "KD473124829CN",
    "category": "delay"
}))]
pub struct CreateComplaint {
    // Required fields default to "" when absent so that intake reports every missing or bad
    // field in one 422, rather than serde stopping at the first.
    /// `complaint` | `suggestion` | `inquiry` | `praise`.
    #[serde(rename = "type", default)]
    #[schema(required = true, value_type = ComplaintType)]
    pub type_: String,
    /// `phone` | `web` | `app` | `wechat` | `weibo` | `email` | `letter` | `on_site` | `api`.
    #[serde(default)]
    #[schema(required = true, value_type = ComplaintChannel)]
    pub channel: String,
    #[serde(default)]
    #[schema(required = true)]
    pub description: String,
    /// The customer file the case concerns. A merchant names only its own customers, an end
    /// customer only a file holding their phone (another is a 404). When not given: the
    /// shipment's shipper, or for an end customer's case without a parcel their own file.
    #[serde(default)]
    pub customer_id: Option<Uuid>,
    /// The parcel the case concerns: required from a merchant (one of its shipments); an end
    /// customer's must be a parcel sent to or by them (else 404), and may be left out (a
    /// service attitude, a bill).
    #[serde(default)]
    pub tracking_number: Option<String>,
    /// `delay` | `lost` | `damaged` | `service_attitude` | `missorted` | `packaging` |
    /// `tracking_info` | `billing` | `legal` | `compliance` | `other`.
    #[serde(default)]
    #[schema(value_type = Option<ComplaintCategory>)]
    pub category: Option<String>,
    /// `low` | `normal` | `high` | `urgent`; derived when not given. A key account's case
    /// takes one level above it, given or derived (the fast lane), capped at `urgent`.
    #[serde(default)]
    pub priority: Option<String>,
    /// The merchant the case concerns, for staff opening a case without a shipment this
    /// service knows: a known shipment's merchant always wins. A merchant's case is always its
    /// own (naming another merchant is a 404); an end customer's value is ignored.
    #[serde(default)]
    pub merchant_id: Option<Uuid>,
}

impl From<CreateComplaint> for crate::domain::intake::Draft {
    fn from(b: CreateComplaint) -> Self {
        Self {
            type_: b.type_,
            channel: b.channel,
            description: b.description,
            customer_id: b.customer_id,
            tracking_number: b.tracking_number,
            category: b.category,
            priority: b.priority,
            merchant_id: b.merchant_id,
        }
    }
}

kuaidi_shared::string_enum_schema! {
    /// The type of a case (`domain::vocab::TYPES`).
    pub ComplaintType = crate::domain::vocab::TYPES;
}

kuaidi_shared::string_enum_schema! {
    /// The channel a case came through (`domain::vocab::CHANNELS`).
    pub ComplaintChannel = crate::domain::vocab::CHANNELS;
}

kuaidi_shared::string_enum_schema! {
    /// The category of a case (`domain::vocab::CATEGORIES`).
    pub ComplaintCategory = crate::domain::vocab::CATEGORIES;
}

/// The SLA clocks of a case. Deadlines are computed from the policy in force and the case's
/// history, again after every action and every policy change.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Sla {
    /// While the clocks stand (`awaiting_feedback`, `closed`) a deadline is not a fixed moment
    /// (it moves with the pause): both deadlines are then those in force when the clocks
    /// stopped — possibly in the past, without a breach — and on `reopen` they move out by the
    /// length of the pause.
    pub first_response_due: DateTime<Utc>,
    /// See `first_response_due` for a case whose clocks stand.
    pub resolution_due: DateTime<Utc>,
    pub first_responded_at: Option<DateTime<Utc>>,
    /// A clock has reached its warning share (80 % *default*) of the current deadline. A
    /// recomputed deadline the case has not reached yet clears it (the
    /// `complaint.sla_warning` already sent stays sent); reaching the new deadline's share
    /// warns again.
    pub warned: bool,
    /// A clock is past its current deadline (the first response: was given after it). Cleared
    /// like `warned` by a deadline moved beyond it; the escalation the breach caused stays.
    pub breached: bool,
}

/// A feedback case.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Complaint {
    pub id: Uuid,
    /// Human-readable, e.g. `C2026112400017`.
    pub number: String,
    #[serde(rename = "type")]
    pub type_: String,
    pub channel: String,
    pub customer_id: Option<Uuid>,
    pub tracking_number: Option<String>,
    pub merchant_id: Option<Uuid>,
    pub category: Option<String>,
    pub priority: String,
    pub description: String,
    pub reasonable: Option<bool>,
    pub department: Option<String>,
    /// The staff member who has the case (`null` for merchants and end customers).
    pub assignee_id: Option<Uuid>,
    /// 0 specialist, 1 supervisor, 2 manager, 3 director.
    pub escalation_level: i32,
    pub status: String,
    pub sla: Sla,
    /// From the taxonomy (SPEC §6): named at `triage` or `close`; a `close` naming none keeps
    /// the one given at triage.
    pub root_cause: Option<String>,
    pub resolution: Option<String>,
    pub satisfaction: Option<i32>,
    /// How the case was closed (`explained` when triage found it not reasonable).
    pub resolution_code: Option<String>,
    /// The handler's proposal: measures, plan, compensation, investigation report.
    pub proposal: Option<serde_json::Value>,
    /// Opened by the service itself on a key account's lost or damaged parcel.
    pub proactive: bool,
    /// On the answer to `resolve`: the one-time survey link to send to the customer (shown
    /// once; only its hash is kept).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub survey_link: Option<String>,
    /// Set when intake found this to be a repeat of an open case (the existing case is
    /// returned), or when the case was merged into another.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub duplicate_of: Option<Uuid>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: i32,
}

/// One entry of a case's append-only history.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct HistoryEntry {
    pub id: i64,
    /// The user id (`sub`) of who did it, or `system`. For merchants and end customers, the
    /// role instead: `staff`, `merchant`, `customer` or `system`.
    pub actor: String,
    pub action: String,
    pub from: Option<String>,
    pub to: String,
    /// The action's body as given (staff); for merchants and end customers only its fields
    /// meant for the customer (see `GET /api/v1/complaints/{id}/history`).
    pub payload: serde_json::Value,
    pub time: DateTime<Utc>,
    /// Same as `time`.
    pub at: DateTime<Utc>,
}

/// Filters of `GET /api/v1/complaints` (comma-separated values match any of them).
#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ComplaintFilters {
    /// e.g. `received,triaged`.
    pub status: Option<String>,
    #[serde(rename = "type")]
    #[param(rename = "type")]
    pub type_: Option<String>,
    pub category: Option<String>,
    pub priority: Option<String>,
    /// A user id, or `me`.
    pub assignee: Option<String>,
    pub department: Option<String>,
    pub customer_id: Option<String>,
    pub tracking_number: Option<String>,
    pub merchant_id: Option<String>,
    /// `warned` | `breached`.
    pub sla: Option<String>,
    /// RFC 3339; cases received at or after.
    pub received_from: Option<String>,
    /// RFC 3339; cases received before. Earlier than `received_from`: a `422` naming both.
    pub received_to: Option<String>,
    /// Page size, 1–200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    /// `next_cursor` of the previous page.
    #[param(pattern = "^[A-Za-z0-9_-]+$")]
    pub cursor: Option<String>,
}

/// A page of cases, most urgent SLA deadline first.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ComplaintPage {
    pub data: Vec<Complaint>,
    pub next_cursor: Option<String>,
}

/// Body of `POST /api/v1/complaints/{id}/actions/{action}`: the fields of the action (SPEC §6):
/// `triage` {category, priority?, reasonable, note?, reply?, root_cause?} (a root cause from
/// the taxonomy, kept on the case; a key account's case takes one level above the priority
/// named, as at intake — the fast lane — and its SLA deadlines follow); `assign` {assignee_id, department}; `investigate` {};
/// `propose` {measures, plan, compensation?, report? {content, process, evidence_analysis,
/// conclusion}}; `approve` {reason?}; `reject` {reason}; `resolve` {resolution,
/// customer_notified_at?}; `close` {resolution_code, root_cause?} (a root cause from the
/// taxonomy; one set earlier, at triage, stays when none is given); `reopen` {reason};
/// `escalate` {reason}; `comment` {text, internal?}. The history entry of an action carries
/// its body as given.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({"category": "delay", "priority": "high", "reasonable": true,
    "note": "checked the scans", "reply": "We are on it."}))]
pub struct ActionBody(pub serde_json::Map<String, serde_json::Value>);

/// `GET /api/v1/complaints/{id}/history`: a page, oldest first.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct History {
    pub data: Vec<HistoryEntry>,
    /// The `cursor` of the next page; `null` on the last.
    pub next_cursor: Option<String>,
}
