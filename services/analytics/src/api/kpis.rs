//! KPI query and answer.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::domain::definitions::KpiDefinition;

/// Query of `GET /api/v1/analytics/kpis`.
#[derive(Debug, Clone, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct KpiQuery {
    /// First day (`YYYY-MM-DD`, inclusive); default 29 days before `to`.
    pub from: Option<String>,
    /// Last day (inclusive); default today (UTC).
    pub to: Option<String>,
    /// `day` (default) | `week` (Monday first) | `month`.
    pub granularity: Option<String>,
    pub city: Option<String>,
    pub province: Option<String>,
    pub service_level: Option<String>,
    /// Not yet fed (needs the customers' tiers as a projection): accepted and ignored.
    pub value_tier: Option<String>,
    /// Staff may filter by merchant; merchants always see only their own.
    pub merchant_id: Option<Uuid>,
}

/// Every KPI of one period. `null` means the figure has no data source yet (see
/// `/api/v1/analytics/kpi-definitions`, `available`) or no denominator in the period.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
pub struct KpiRow {
    pub period_start: NaiveDate,
    /// Last day of the period, inclusive.
    pub period_end: NaiveDate,
    pub shipments: i64,
    pub delivered: Option<i64>,
    pub on_time_rate: Option<f64>,
    pub damage_rate: Option<f64>,
    pub loss_rate: Option<f64>,
    pub exception_rate: Option<f64>,
    pub avg_transit_hours: Option<f64>,
    pub complaints: i64,
    pub complaint_rate_per_10k: Option<f64>,
    pub first_response_sla_rate: Option<f64>,
    pub resolved_within_24h_rate: Option<f64>,
    pub resolved_within_48h_rate: Option<f64>,
    pub sla_breaches: Option<i64>,
    pub csat_avg: Option<f64>,
    pub satisfied_rate: Option<f64>,
    pub reopen_rate: Option<f64>,
    pub new_customers: Option<i64>,
    pub active_customers: Option<i64>,
    pub retention_rate: Option<f64>,
    pub churn_rate: Option<f64>,
    pub repurchase_rate: Option<f64>,
    pub claims_paid: Option<kuaidi_shared::money::Money>,
}

/// Answer of `GET /api/v1/analytics/kpis`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({"data": [{"period_start": "2026-11-25", "period_end": "2026-11-25", "shipments": 3, "complaints": 1, "complaint_rate_per_10k": 3333.33}], "definitions_version": "2026-11-25.1"}))]
pub struct KpiReport {
    pub data: Vec<KpiRow>,
    pub definitions_version: String,
}

/// Answer of `GET /api/v1/analytics/kpi-definitions`.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct KpiDefinitions {
    pub data: Vec<KpiDefinition>,
    pub definitions_version: String,
}
