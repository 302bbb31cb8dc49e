//! Queries and answers of `/analytics/segments` and `/analytics/churn-risk`.

use chrono::{DateTime, Utc};
use kuaidi_shared::money::Money;
use kuaidi_shared::pagination::PageParams;
use kuaidi_shared::{ApiError, FieldError};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

/// Query of `GET /api/v1/analytics/segments`; any other parameter is refused by name.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct SegmentsQuery {
    /// Staff may narrow to one merchant's customers. A merchant sees only its own: its own id or
    /// none; another merchant's is a `404`.
    #[param(value_type = Option<String>, format = Uuid, example = "0193a0c4-8a6e-7c1a-9a51-5f0c2b1d7e01")]
    pub merchant_id: Option<String>,
}

/// Query of `GET /api/v1/analytics/churn-risk`; any other parameter is refused by name.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ChurnRiskQuery {
    /// Page size, 1–200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    /// `next_cursor` of the previous page.
    #[param(pattern = "^[A-Za-z0-9_-]+$")]
    pub cursor: Option<String>,
    /// Staff may narrow to one merchant's customers. A merchant sees only its own: its own id or
    /// none; another merchant's is a `404`.
    #[param(value_type = Option<String>, format = Uuid, example = "0193a0c4-8a6e-7c1a-9a51-5f0c2b1d7e01")]
    pub merchant_id: Option<String>,
}

impl ChurnRiskQuery {
    /// Its page parameters.
    pub fn page(&self) -> PageParams {
        PageParams {
            limit: self.limit,
            cursor: self.cursor.clone(),
        }
    }
}

/// The merchant a query names (`merchant_id`): a UUID, or none when absent (a blank one is no
/// UUID: `422`, as its documented format says).
pub fn named_merchant(merchant_id: Option<&str>) -> Result<Option<Uuid>, ApiError> {
    match merchant_id.map(str::trim) {
        None => Ok(None),
        Some(m) => Uuid::parse_str(m).map(Some).map_err(|_| {
            ApiError::Validation(vec![FieldError::new("merchant_id", "must be a UUID")])
        }),
    }
}

/// Customers of one value tier and their share of the 12-month spend.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct TierShare {
    /// `key` | `ordinary` | `small` (`unclassified` before the first classification).
    pub tier: String,
    pub customers: i64,
    pub customer_share: Option<f64>,
    /// Their trailing-12-month freight spend (the shipments they created in the 12 months
    /// ending today).
    pub value: Money,
    pub value_share: Option<f64>,
}

/// One point of the Pareto curve: the top `customer_share` of customers by spend make
/// `value_share` of the spend.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ParetoPoint {
    pub customer_share: f64,
    pub value_share: f64,
}

/// How many customers have these RFM scores (1–5 each, quintiles; 5 is the most recent, most
/// frequent, highest spending).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct RfmCell {
    pub recency_score: i32,
    pub frequency_score: i32,
    pub monetary_score: i32,
    pub customers: i64,
}

/// Customers in one lifecycle stage.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct StageCount {
    pub stage: String,
    pub customers: i64,
}

/// Answer of `GET /api/v1/analytics/segments`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({
    "customers": 10,
    "value_tiers": [{"tier": "key", "customers": 2, "customer_share": 0.2,
        "value": {"amount": "8000.00", "currency": "CNY"}, "value_share": 0.8}],
    "pareto": [{"customer_share": 0.1, "value_share": 0.5}, {"customer_share": 0.2, "value_share": 0.8}],
    "rfm": [{"recency_score": 5, "frequency_score": 5, "monetary_score": 5, "customers": 2}],
    "lifecycle_stages": [{"stage": "active", "customers": 7}]
}))]
pub struct Segments {
    pub customers: i64,
    pub value_tiers: Vec<TierShare>,
    /// Ten points, by deciles of customers ranked by spend.
    pub pareto: Vec<ParetoPoint>,
    /// Customers that have shipped, by RFM scores.
    pub rfm: Vec<RfmCell>,
    pub lifecycle_stages: Vec<StageCount>,
}

/// A customer at risk of churning, with the drop measured.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ChurnRisk {
    pub customer_id: Uuid,
    pub merchant_id: Option<Uuid>,
    pub value_tier: Option<String>,
    pub lifecycle_stage: Option<String>,
    /// Shipments per 30 days over the previous 90 days.
    pub baseline_monthly: f64,
    /// Shipments in the last 30 days.
    pub last_30d: i64,
    /// `1 - last_30d / baseline_monthly`.
    pub drop_ratio: f64,
    pub detected_at: DateTime<Utc>,
    pub last_shipment_at: Option<DateTime<Utc>>,
}
