//! Customer request/response bodies.

use chrono::{DateTime, Utc};
use kuaidi_shared::money::Money;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

pub use crate::domain::profile::{
    Address, Company, ConsentState, CreateCustomer, Preferences, Region,
};

/// Body of `PATCH /api/v1/customers/{id}`: the fields given replace the stored ones. An end
/// customer may send only `preferences`.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateCustomer {
    pub kind: Option<String>,
    pub name: Option<String>,
    pub phones: Option<Vec<String>>,
    pub emails: Option<Vec<String>>,
    pub addresses: Option<Vec<Address>>,
    pub company: Option<Company>,
    pub industry: Option<String>,
    pub size: Option<String>,
    pub region: Option<Region>,
    pub lanes: Option<Vec<String>>,
    pub preferences: Option<Preferences>,
    pub tags: Option<Vec<String>>,
    pub owner_id: Option<Uuid>,
    pub merchant_id: Option<Uuid>,
    pub birthday: Option<String>,
    #[schema(value_type = Option<Object>)]
    pub family: Option<serde_json::Value>,
    /// Sets the value tier by hand: `key` | `ordinary` | `small` (admins, managers,
    /// supervisors).
    #[schema(value_type = Option<crate::domain::enums::ValueTier>)]
    pub value_tier: Option<String>,
    /// `rules` gives a tier set by hand back to the classification rules (it stays until
    /// their next run).
    pub value_tier_source: Option<TierSource>,
}

/// Who decides a customer's value tier.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TierSource {
    /// SPEC §4's Pareto classification.
    Rules,
    /// Set by hand.
    Manual,
}

/// RFM scores, each 1–5 by quintile (5 = most recent / most frequent / highest spend).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
pub struct Rfm {
    pub r: i16,
    pub f: i16,
    pub m: i16,
    /// `r + f + m` (3–15).
    pub score: i16,
}

/// A merge in a customer's history.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct MergeRecord {
    pub merge_id: Uuid,
    pub survivor_id: Uuid,
    pub duplicate_id: Uuid,
    pub merged_at: DateTime<Utc>,
    pub undone_at: Option<DateTime<Utc>>,
}

/// Figures kept from events.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
pub struct Stats {
    pub shipments_12m: i64,
    pub spend_12m: Money,
    pub last_shipment_at: Option<DateTime<Utc>>,
    pub complaints_open: i64,
    pub complaints_12m: i64,
    /// Average overall survey score (1–5) over 12 months.
    pub csat_avg: Option<f64>,
    /// Share of deliveries on time over 12 months (0–1).
    pub on_time_rate: Option<f64>,
}

/// A customer file (the 360° view).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Customer {
    pub id: Uuid,
    pub kind: String,
    pub name: String,
    /// Masked (`138****5678`) for callers without the right to see PII.
    pub phones: Vec<String>,
    /// Masked (`z***@example.com`) for callers without the right to see PII.
    pub emails: Vec<String>,
    /// Each `address` masked (`***`) for callers without the right to see PII.
    pub addresses: Vec<Address>,
    pub company: Option<Company>,
    pub industry: Option<String>,
    pub size: Option<String>,
    pub region: Option<Region>,
    pub lanes: Vec<String>,
    pub preferences: Preferences,
    pub tags: Vec<String>,
    pub owner_id: Option<Uuid>,
    pub merchant_id: Option<Uuid>,
    /// `key` | `ordinary` | `small`.
    pub value_tier: String,
    /// Who decides the value tier: `rules` (SPEC §4's Pareto classification) or `manual` (set
    /// by hand, kept by the classification runs until an edit gives it back to the rules).
    #[schema(value_type = TierSource)]
    pub value_tier_source: String,
    /// `prospect` | `new` | `active` | `loyal` | `at_risk` | `churned`.
    pub lifecycle_stage: String,
    pub rfm: Option<Rfm>,
    /// What the customer's value tier entitles them to (configuration).
    pub entitlements: crate::configuration::Entitlements,
    pub stats: Stats,
    /// `YYYY-MM-DD` (PII, only with `profile_extras` consent); masked (`****-**-**`) for
    /// callers without the right to see PII.
    pub birthday: Option<String>,
    /// Free-form family details (PII, only with `profile_extras` consent): an object, or the
    /// string `***` where masked.
    #[schema(schema_with = family_schema)]
    pub family: Option<serde_json::Value>,
    /// Current consent per purpose (`marketing`, `care_messages`, `profile_extras`).
    pub consents: std::collections::BTreeMap<String, ConsentState>,
    /// Set on a duplicate merged into another customer.
    pub merged_into: Option<Uuid>,
    /// When the customer's PII was erased (`DELETE`): the file stays, anonymised, with its
    /// stats, tier and stage; `null` while it was not.
    pub erased_at: Option<DateTime<Utc>>,
    /// The last 20 interactions, newest first (single-customer reads only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interactions: Option<Vec<crate::api::interactions::Interaction>>,
    /// Open follow-ups, soonest first (single-customer reads only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub follow_ups: Option<Vec<crate::api::follow_ups::FollowUp>>,
    /// Merges this customer took part in (single-customer reads only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub merges: Option<Vec<MergeRecord>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: i32,
}

/// `Customer.family` as answered: the stored object, the string `***` when masked for a caller
/// without the right to see PII (SPEC §3), or `null` when none is stored.
fn family_schema() -> utoipa::openapi::schema::Schema {
    use utoipa::openapi::schema::{ObjectBuilder, OneOfBuilder, Schema, Type};
    let one_of = OneOfBuilder::new()
        .item(
            ObjectBuilder::new()
                .schema_type(Type::Object)
                .description(Some("Free-form family details.")),
        )
        .item(
            ObjectBuilder::new()
                .schema_type(Type::String)
                .enum_values(Some(["***"]))
                .description(Some(
                    "Masked: the caller may not see this customer's PII unmasked.",
                )),
        )
        .item(ObjectBuilder::new().schema_type(Type::Null))
        .description(Some(
            "Free-form family details (PII, only with `profile_extras` consent): an object, \
             the string `***` when masked for callers without the right to see PII, `null` \
             when none is stored.",
        ))
        .build();
    Schema::OneOf(one_of)
}
