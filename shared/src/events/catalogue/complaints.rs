//! Events the complaints service emits (SPEC §7).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::money::Money;

/// The service that emits the events of this file.
const PRODUCER: &str = "complaints";

/// Declares the payload of a case event: the facts every case event carries about its case
/// (id, number, customer, merchant, shipment, category, destination city, handler; all but the
/// id defaulted for events written before they were added), then the event's own fields.
/// Several names before one field list declare payloads of the same shape.
macro_rules! case_payload {
    (@names [$($done:tt)*] $(#[$meta:meta])* pub struct $name:ident, $($rest:tt)+) => {
        case_payload!(@names [$($done)* [$(#[$meta])* $name]] $($rest)+);
    };
    (@names [$([$(#[$meta:meta])* $name:ident])*] $(#[$lmeta:meta])* pub struct $last:ident $fields:tt) => {
        $(case_payload!(@one $(#[$meta])* $name $fields);)*
        case_payload!(@one $(#[$lmeta])* $last $fields);
    };
    (@one $(#[$meta:meta])* $name:ident { $($(#[$fmeta:meta])* pub $field:ident : $ty:ty,)* }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
        pub struct $name {
            pub complaint_id: Uuid,
            #[serde(default)]
            pub number: String,
            #[serde(default)]
            pub customer_id: Option<Uuid>,
            #[serde(default)]
            pub merchant_id: Option<Uuid>,
            #[serde(default)]
            pub tracking_number: Option<String>,
            #[serde(default)]
            pub category: Option<String>,
            #[serde(default)]
            pub city: Option<String>,
            #[serde(default)]
            pub assignee_id: Option<Uuid>,
            $($(#[$fmeta])* pub $field: $ty,)*
        }
    };
    ($($tokens:tt)+) => {
        case_payload!(@names [] $($tokens)+);
    };
}

/// `complaint.received`: a feedback case was opened.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
pub struct ComplaintReceivedV1 {
    pub complaint_id: Uuid,
    pub number: String,
    /// `complaint` | `suggestion` | `inquiry` | `praise`.
    #[serde(rename = "type")]
    pub type_: String,
    pub channel: String,
    pub category: Option<String>,
    pub priority: String,
    pub customer_id: Option<Uuid>,
    pub merchant_id: Option<Uuid>,
    pub tracking_number: Option<String>,
    pub city: Option<String>,
    pub received_at: DateTime<Utc>,
    /// Opened by the service itself before the customer called (SPEC §6 proactive cases: a
    /// key account's parcel lost or damaged), not received from a customer. `false` in events
    /// written before it was added.
    #[serde(default)]
    pub proactive: bool,
}

event!(
    ComplaintReceivedV1,
    "complaint.received",
    "A complaint, suggestion, inquiry or praise was received."
);

case_payload! {
    /// `complaint.first_responded`: the first outward action on a case (a triage reply, a public comment or a resolution).
    pub struct ComplaintFirstRespondedV1 {
        pub received_at: DateTime<Utc>,
        pub responded_at: DateTime<Utc>,
        /// Responded before `first_response_due`.
        pub within_sla: bool,
    }
}

event!(
    ComplaintFirstRespondedV1,
    "complaint.first_responded",
    "A case got its first outward response."
);

case_payload! {
    /// `complaint.assigned`: a case was assigned to a handler in a department.
    pub struct ComplaintAssignedV1 {
        /// `customer_service` | `operations` | `legal` | `compliance` | `sales`.
        pub department: String,
        pub assigned_at: DateTime<Utc>,
    }
}

event!(
    ComplaintAssignedV1,
    "complaint.assigned",
    "A case was assigned to a handler."
);

case_payload! {
    /// `complaint.status_changed`: a lifecycle action moved a case to another status.
    pub struct ComplaintStatusChangedV1 {
        pub from: String,
        pub to: String,
        /// The action that moved it (`triage`, `assign`, ... or `survey` for an automatic reopen).
        pub action: String,
        #[serde(default)]
        pub actor_id: Option<String>,
        pub occurred_at: DateTime<Utc>,
    }
}

event!(
    ComplaintStatusChangedV1,
    "complaint.status_changed",
    "A case moved to another status."
);

case_payload! {
    /// `complaint.escalated`: a case went up one escalation level (by hand or on an SLA breach).
    pub struct ComplaintEscalatedV1 {
        pub from_level: i16,
        pub to_level: i16,
        pub reason: String,
        /// Raised by the SLA sweep rather than a person.
        pub automatic: bool,
        pub escalated_at: DateTime<Utc>,
        /// The supervisor told of an automatic escalation (their department's, from the complaints
        /// service's department directory; `null` when the department has none named).
        #[serde(default)]
        pub supervisor_id: Option<Uuid>,
    }
}

event!(
    ComplaintEscalatedV1,
    "complaint.escalated",
    "A case was escalated."
);

case_payload! {
    /// `complaint.sla_warning`: a case has used the warning share (80 % by default) of its first-response or resolution allowance.
    pub struct ComplaintSlaWarningV1,
    /// `complaint.sla_breached`: a case has used its whole first-response or resolution allowance; it is escalated one level and the supervisor notified.
    pub struct ComplaintSlaBreachedV1 {
        /// `first_response` | `resolution`.
        pub clock: String,
        pub due_at: DateTime<Utc>,
        /// Elapsed SLA time ÷ allowance when the sweep saw it.
        pub elapsed_ratio: f64,
        pub occurred_at: DateTime<Utc>,
        #[serde(default)]
        pub escalation_level: i16,
    }
}

event!(
    ComplaintSlaWarningV1,
    "complaint.sla_warning",
    "A case used 80 % of an SLA allowance."
);

event!(
    ComplaintSlaBreachedV1,
    "complaint.sla_breached",
    "A case missed an SLA deadline."
);

case_payload! {
    /// `complaint.closed`: a case was closed (resolved and confirmed, or explained as not reasonable).
    pub struct ComplaintClosedV1 {
        pub received_at: DateTime<Utc>,
        #[serde(default)]
        pub first_responded_at: Option<DateTime<Utc>>,
        pub closed_at: DateTime<Utc>,
        #[serde(default)]
        pub resolution_code: Option<String>,
        #[serde(default)]
        pub root_cause: Option<String>,
        #[serde(rename = "type")]
        pub type_: String,
    }
}

event!(ComplaintClosedV1, "complaint.closed", "A case was closed.");

case_payload! {
    /// `complaint.reopened`: a closed or awaiting-feedback case was reopened (by hand, or by a dissatisfied survey).
    pub struct ComplaintReopenedV1 {
        pub reason: String,
        pub reopened_at: DateTime<Utc>,
    }
}

event!(
    ComplaintReopenedV1,
    "complaint.reopened",
    "A case was reopened."
);

case_payload! {
    /// `survey.submitted`: a customer answered the satisfaction survey of a case.
    pub struct SurveySubmittedV1 {
        pub survey_id: Uuid,
        /// 1–5.
        pub overall: i16,
        #[serde(default)]
        pub speed: Option<i16>,
        #[serde(default)]
        pub effectiveness: Option<i16>,
        #[serde(default)]
        pub attitude: Option<i16>,
        /// `agent` | `customer` | `merchant` | `link`.
        pub via: String,
        pub submitted_at: DateTime<Utc>,
    }
}

event!(
    SurveySubmittedV1,
    "survey.submitted",
    "A satisfaction survey was answered."
);

/// `claim.filed`: a compensation claim was filed, with the payable limit computed by rule.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
pub struct ClaimFiledV1 {
    pub claim_id: Uuid,
    #[serde(default)]
    pub complaint_id: Option<Uuid>,
    pub tracking_number: String,
    /// `lost` | `damaged` | `late`.
    pub kind: String,
    #[serde(default)]
    pub customer_id: Option<Uuid>,
    #[serde(default)]
    pub merchant_id: Option<Uuid>,
    pub amount_claimed: Money,
    pub amount_payable: Money,
    pub filed_at: DateTime<Utc>,
}

event!(
    ClaimFiledV1,
    "claim.filed",
    "A compensation claim was filed."
);

/// `claim.settled`: a claim was paid or rejected.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
pub struct ClaimSettledV1 {
    pub claim_id: Uuid,
    #[serde(default)]
    pub complaint_id: Option<Uuid>,
    pub tracking_number: String,
    /// `lost` | `damaged` | `late`.
    pub kind: String,
    #[serde(default)]
    pub customer_id: Option<Uuid>,
    #[serde(default)]
    pub merchant_id: Option<Uuid>,
    /// `paid` | `rejected`.
    pub outcome: String,
    /// The amount paid (`None` when rejected).
    #[serde(default)]
    pub amount_paid: Option<Money>,
    pub settled_at: DateTime<Utc>,
}

event!(
    ClaimSettledV1,
    "claim.settled",
    "A compensation claim was settled."
);
