//! A customer's profile as it is given (creation) and stored (sealed contacts, extras): the
//! value types the creation rules validate, and the consents stored with it. The API
//! re-exports them as its request and response shapes.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

/// An address of the customer (PII).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
pub struct Address {
    /// e.g. `home`, `office`, `warehouse`.
    #[serde(default)]
    pub label: Option<String>,
    pub address: String,
    #[serde(default)]
    pub city: Option<String>,
    #[serde(default)]
    pub is_frequent: bool,
}

/// Company details of a business customer.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
pub struct Company {
    pub legal_name: String,
    /// Unified social credit code (统一社会信用代码), 18 characters.
    #[serde(default)]
    pub credit_code: Option<String>,
    #[serde(default)]
    pub industry: Option<String>,
    #[serde(default)]
    pub size: Option<String>,
}

/// Where the customer is.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
pub struct Region {
    #[serde(default)]
    pub city: Option<String>,
    #[serde(default)]
    pub province: Option<String>,
    /// `tier1` | `tier2` | `tier3` | `rural`; derived from the city when not given.
    #[serde(default)]
    pub city_tier: Option<String>,
}

/// Service preferences.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Preferences {
    pub delivery_window: Option<String>,
    pub pickup_window: Option<String>,
    pub packaging: Option<String>,
    pub time_sensitive: Option<bool>,
    pub price_sensitive: Option<bool>,
    /// `sms` | `app` | `email` | `phone` | `wechat`.
    pub contact_channel: Option<String>,
}

/// Body of `POST /api/v1/customers`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "kind": "business",
    "name": "Acme Trading",
    "phones": ["13812345678"],
    "emails": ["ops@acme.example"],
    "industry": "ecommerce",
    "size": "medium",
    "region": {"city": "杭州", "province": "浙江"},
    "tags": ["cross-border"]
}))]
pub struct CreateCustomer {
    /// `individual` | `business` (required).
    #[serde(default)]
    #[schema(required = true, value_type = super::enums::Kind)]
    pub kind: String,
    /// Required.
    #[serde(default)]
    #[schema(required = true)]
    pub name: String,
    #[serde(default)]
    pub phones: Vec<String>,
    #[serde(default)]
    pub emails: Vec<String>,
    #[serde(default)]
    pub addresses: Vec<Address>,
    #[serde(default)]
    pub company: Option<Company>,
    /// Open list, e.g. `manufacturing`, `retail`, `ecommerce`, `food_service`.
    #[serde(default)]
    pub industry: Option<String>,
    /// `large` | `medium` | `small` | `sole_proprietor`.
    #[serde(default)]
    pub size: Option<String>,
    #[serde(default)]
    pub region: Option<Region>,
    /// e.g. `europe`, `americas`, `asia`.
    #[serde(default)]
    pub lanes: Vec<String>,
    #[serde(default)]
    pub preferences: Option<Preferences>,
    #[serde(default)]
    pub tags: Vec<String>,
    #[serde(default)]
    pub owner_id: Option<Uuid>,
    #[serde(default)]
    pub merchant_id: Option<Uuid>,
    /// `key` | `ordinary` | `small`, set by hand (admins, managers and supervisors): the
    /// classification runs keep it (SPEC §4's Pareto rule decides the others') until an edit
    /// gives the tier back to the rules (`value_tier_source: "rules"`). Not given: `small`
    /// until the next run.
    #[serde(default)]
    #[schema(value_type = Option<super::enums::ValueTier>)]
    pub value_tier: Option<String>,
    /// `YYYY-MM-DD`; stored only with `profile_extras` consent (on creation: granted in
    /// `consents`; without it the file is created without a birthday).
    #[serde(default)]
    pub birthday: Option<String>,
    /// Free-form family details; stored only with `profile_extras` consent, as `birthday`.
    #[serde(default)]
    #[schema(value_type = Option<Object>)]
    pub family: Option<serde_json::Value>,
    /// Consents given with the file, as in `PUT /customers/{id}/consents` (purpose →
    /// `true` / `false` or `{granted, source, at}`): with `profile_extras` granted here,
    /// `birthday` and `family` are stored in the same call.
    #[serde(default)]
    pub consents: Option<std::collections::BTreeMap<String, ConsentValue>>,
}

/// One purpose's current consent.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
pub struct ConsentState {
    pub granted: bool,
    /// Where it was given or withdrawn, e.g. `app`, `phone`, `web`, `paper`.
    pub source: String,
    pub at: DateTime<Utc>,
}

/// One purpose's change given in full: granted or withdrawn, with its source and time.
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

/// One purpose's change: `true` / `false` (source `api`, now), or given in full.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(untagged)]
pub enum ConsentValue {
    Granted(bool),
    Detailed(ConsentChange),
}

impl From<ConsentValue> for ConsentChange {
    fn from(v: ConsentValue) -> Self {
        match v {
            ConsentValue::Granted(granted) => ConsentChange {
                granted,
                source: None,
                at: None,
            },
            ConsentValue::Detailed(change) => change,
        }
    }
}
