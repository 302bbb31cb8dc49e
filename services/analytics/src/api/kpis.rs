//! KPI query and answer, and the KPI catalogue's answer.

use chrono::NaiveDate;
use kuaidi_shared::money::Money;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::domain::definitions::KpiDefinition;
use crate::domain::report::PeriodFigures;

/// Query of `GET /api/v1/analytics/kpis`. Dates and granularity arrive as text so that a bad
/// value is a `422` naming its field (parsed in `domain::query`).
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct KpiQuery {
    /// First day, `YYYY-MM-DD` (UTC), inclusive; default 29 days before `to`. With `week` or
    /// `month` the rows are the whole periods overlapping `from..=to`.
    #[param(value_type = Option<String>, format = Date, example = "2026-11-01")]
    pub from: Option<String>,
    /// Last day, `YYYY-MM-DD` (UTC), inclusive; default today. At most 400 periods in all.
    #[param(value_type = Option<String>, format = Date, example = "2026-11-25")]
    pub to: Option<String>,
    /// `day` (default) | `week` (Monday to Sunday) | `month` (calendar month).
    #[param(value_type = Option<String>, pattern = "^(day|week|month)$", example = "day")]
    pub granularity: Option<String>,
    /// Destination city of shipments, city of complaints.
    #[param(max_length = 100, example = "北京")]
    pub city: Option<String>,
    /// Destination province of shipments (complaints carry none).
    #[param(max_length = 100, example = "北京")]
    pub province: Option<String>,
    /// Service level of shipments (complaints carry none), e.g. `express`.
    #[param(max_length = 100, example = "express")]
    pub service_level: Option<String>,
    /// Not available yet (needs a projection of customers' tiers): any value is a `422`.
    pub value_tier: Option<String>,
    /// Only `UTC` (or `Etc/UTC`) for now: the rollups are kept by UTC day; other zones are a `422`.
    #[param(example = "UTC")]
    pub tz: Option<String>,
    /// Staff may narrow to one merchant; a merchant always sees only its own figures, whatever
    /// this says.
    #[param(example = "0193a0c4-8a6e-7c1a-9a51-5f0c2b1d7e01")]
    pub merchant_id: Option<Uuid>,
}

/// Every KPI of one period (SPEC §8). A figure is `null` when it has no data source yet (see
/// `available` in `/api/v1/analytics/kpi-definitions`) or when its denominator is zero.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({
    "period_start": "2026-11-23", "period_end": "2026-11-29",
    "shipments": 3, "delivered": null, "on_time_rate": null, "damage_rate": null,
    "loss_rate": null, "exception_rate": null, "avg_transit_hours": null,
    "complaints": 1, "complaint_rate_per_10k": 3333.33,
    "first_response_sla_rate": null, "resolved_within_24h_rate": null,
    "resolved_within_48h_rate": null, "sla_breaches": null, "csat_avg": null,
    "satisfied_rate": null, "reopen_rate": null, "new_customers": null,
    "active_customers": null, "retention_rate": null, "churn_rate": null,
    "repurchase_rate": null, "claims_paid": null
}))]
pub struct KpiRow {
    /// First day of the period (a Monday for weeks, the 1st for months).
    pub period_start: NaiveDate,
    /// Last day of the period, **inclusive** (a Sunday for weeks, the month's last day).
    pub period_end: NaiveDate,
    pub shipments: i64,
    pub delivered: Option<i64>,
    pub on_time_rate: Option<f64>,
    pub damage_rate: Option<f64>,
    pub loss_rate: Option<f64>,
    pub exception_rate: Option<f64>,
    pub avg_transit_hours: Option<f64>,
    pub complaints: i64,
    /// complaints / shipments × 10 000, 2 decimals; `null` without shipments.
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
    pub claims_paid: Option<Money>,
}

impl From<PeriodFigures> for KpiRow {
    fn from(f: PeriodFigures) -> Self {
        Self {
            period_start: f.period.start,
            period_end: f.period.end,
            shipments: f.counts.shipments,
            complaints: f.counts.complaints,
            complaint_rate_per_10k: f.complaint_rate_per_10k(),
            ..Self::default()
        }
    }
}

/// Answer of `GET /api/v1/analytics/kpis`: one row per period, in order, periods without
/// activity included with zeros.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({
    "data": [{"period_start": "2026-11-25", "period_end": "2026-11-25", "shipments": 3,
              "complaints": 1, "complaint_rate_per_10k": 3333.33, "on_time_rate": null}],
    "definitions_version": "2026-11-25.1"
}))]
pub struct KpiReport {
    pub data: Vec<KpiRow>,
    /// Version of the KPI definitions the figures follow.
    pub definitions_version: String,
}

/// Answer of `GET /api/v1/analytics/kpi-definitions`.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(example = json!({
    "data": [{"name": "complaint_rate_per_10k", "formula": "complaints / shipments x 10000",
              "numerator": "complaints", "denominator": "shipments",
              "source_events": ["complaint.received", "shipment.created"],
              "version": "2026-11-25.1", "available": true}],
    "definitions_version": "2026-11-25.1"
}))]
pub struct KpiDefinitions {
    pub data: Vec<KpiDefinition>,
    pub definitions_version: String,
}
