//! Answers of `/analytics/segments` and `/analytics/churn-risk`.

use chrono::{DateTime, Utc};
use kuaidi_shared::money::Money;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

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
