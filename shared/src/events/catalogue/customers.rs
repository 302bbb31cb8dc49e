//! Events the customers service emits (SPEC §7).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::money::Money;

/// The service that emits the events of this file.
const PRODUCER: &str = "customers";

/// `customer.created`: a customer file was opened.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
pub struct CustomerCreatedV1 {
    pub customer_id: Uuid,
    /// `individual` | `business`.
    pub kind: String,
    pub merchant_id: Option<Uuid>,
    pub owner_id: Option<Uuid>,
    pub city: Option<String>,
    pub province: Option<String>,
    pub value_tier: String,
    pub lifecycle_stage: String,
    pub created_at: DateTime<Utc>,
    /// Blind indexes (keyed HMAC) of the customer's phones, never the phones: what an end
    /// customer's token carries as `phone_hash`, so services can tell which files are that
    /// person's (e.g. the parcels they sent). Absent from events of older producers.
    #[serde(default)]
    pub phone_hashes: Vec<String>,
    /// The customer's preferred contact channel as of this event (`preferences.contact_channel`:
    /// `sms` | `app` | `email` | `phone` | `wechat`); null when none. A channel is not PII.
    #[serde(default)]
    pub contact_channel: Option<String>,
}

event!(
    CustomerCreatedV1,
    "customer.created",
    "A customer file was created."
);

/// `customer.updated`: a customer's profile, consents or preferences changed.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
pub struct CustomerUpdatedV1 {
    pub customer_id: Uuid,
    /// Names of the changed fields (never their values: they may be PII), or what changed the
    /// whole file: `merged` (another file merged into it) or `merge_undone` (a merge it took
    /// part in was undone).
    pub changed: Vec<String>,
    pub version: i64,
    pub updated_at: DateTime<Utc>,
    /// Blind indexes of the customer's phones as of `version` (the whole set, never the
    /// phones); absent when the producer did not say (events of older producers).
    #[serde(default)]
    pub phone_hashes: Option<Vec<String>>,
    /// The customer's preferred contact channel (`preferences.contact_channel`: `sms` | `app` |
    /// `email` | `phone` | `wechat`) as of `version`; null when none. A channel is not PII.
    #[serde(default)]
    pub contact_channel: Option<String>,
}

event!(
    CustomerUpdatedV1,
    "customer.updated",
    "A customer file was edited."
);

/// `customer.tier_changed`: the Pareto classification moved a customer to another value tier.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
pub struct CustomerTierChangedV1 {
    pub customer_id: Uuid,
    #[serde(default)]
    pub merchant_id: Option<Uuid>,
    #[serde(default)]
    pub owner_id: Option<Uuid>,
    /// `key` | `ordinary` | `small`; `None` for a customer not classified before.
    pub from: Option<String>,
    pub to: String,
    /// Trailing-12-month freight spend the tier was computed from.
    pub spend_12m: Money,
    pub changed_at: DateTime<Utc>,
}

// A classification run writes its changes as batches.
event!(
    CustomerTierChangedV1,
    "customer.tier_changed",
    "A customer's value tier changed.",
    batched = true
);

/// `customer.stage_changed`: a customer moved to another lifecycle stage.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
pub struct CustomerStageChangedV1 {
    pub customer_id: Uuid,
    #[serde(default)]
    pub merchant_id: Option<Uuid>,
    #[serde(default)]
    pub owner_id: Option<Uuid>,
    /// `prospect` | `new` | `active` | `loyal` | `at_risk` | `churned`.
    pub from: Option<String>,
    pub to: String,
    pub changed_at: DateTime<Utc>,
}

// A classification run writes its changes as batches.
event!(
    CustomerStageChangedV1,
    "customer.stage_changed",
    "A customer's lifecycle stage changed.",
    batched = true
);

/// `customer.owner_changed`: a customer's account manager changed (by hand or in a handover).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
pub struct CustomerOwnerChangedV1 {
    pub customer_id: Uuid,
    pub from_owner_id: Option<Uuid>,
    pub to_owner_id: Option<Uuid>,
    /// The handover that moved it, when it was part of one.
    #[serde(default)]
    pub handover_id: Option<Uuid>,
    pub changed_at: DateTime<Utc>,
}

event!(
    CustomerOwnerChangedV1,
    "customer.owner_changed",
    "A customer got another account manager."
);

/// `customer.merged`: a duplicate customer was merged into a survivor: every reference to `duplicate_id` should now point at `survivor_id`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
pub struct CustomerMergedV1 {
    pub merge_id: Uuid,
    pub survivor_id: Uuid,
    pub duplicate_id: Uuid,
    pub merged_at: DateTime<Utc>,
}

event!(
    CustomerMergedV1,
    "customer.merged",
    "Two customer files were merged."
);

/// `customer.merge_undone`: a merge was undone (within the undo window): the duplicate is a
/// file of its own again, and every reference the merge moved from `duplicate_id` to
/// `survivor_id` — and every one that named the duplicate after the merge and was redirected
/// to the survivor — should point at `duplicate_id` again. References the survivor held of its
/// own stay. Emitted in the transaction of the undo, after the two files' `customer.updated`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
pub struct CustomerMergeUndoneV1 {
    /// The merge undone (the `merge_id` of its `customer.merged`).
    pub merge_id: Uuid,
    pub survivor_id: Uuid,
    pub duplicate_id: Uuid,
    pub undone_at: DateTime<Utc>,
}

event!(
    CustomerMergeUndoneV1,
    "customer.merge_undone",
    "A merge of two customer files was undone."
);

/// `customer.erased`: a customer's PII was erased (PIPL/GDPR); every service anonymises its copies.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
pub struct CustomerErasedV1 {
    pub customer_id: Uuid,
    /// Blind indexes (keyed HMAC) of the erased phones and emails, so services can find copies
    /// they hold by value (e.g. shipment recipients) without learning the values.
    #[serde(default)]
    pub phone_hashes: Vec<String>,
    #[serde(default)]
    pub email_hashes: Vec<String>,
    pub erased_at: DateTime<Utc>,
}

event!(
    CustomerErasedV1,
    "customer.erased",
    "A customer's personal data was erased."
);

/// `customer.churn_risk_detected`: a customer's last 30 days of shipments fell below the share of their 90-day monthly average that counts as a churn warning.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
pub struct CustomerChurnRiskDetectedV1 {
    pub customer_id: Uuid,
    #[serde(default)]
    pub merchant_id: Option<Uuid>,
    #[serde(default)]
    pub owner_id: Option<Uuid>,
    /// Shipments per 30 days over the previous 90 days.
    pub baseline_monthly: f64,
    /// Shipments in the last 30 days.
    pub last_30d: i64,
    /// `1 - last_30d / baseline_monthly`.
    pub drop_ratio: f64,
    pub detected_at: DateTime<Utc>,
}

// A classification run writes its changes as batches.
event!(
    CustomerChurnRiskDetectedV1,
    "customer.churn_risk_detected",
    "A customer shows a churn risk.",
    batched = true
);
