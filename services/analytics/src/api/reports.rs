//! Answers of the complaint hotspots, staff performance and alerts.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::domain::alerts::{AlertKind, AlertStatus};

/// Complaints of one category in one place, now and in the previous period of equal length.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Hotspot {
    pub category: String,
    /// Set in `by_city`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub city: Option<String>,
    /// Set in `by_hub`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hub: Option<String>,
    pub complaints: i64,
    pub previous: i64,
    /// `complaints - previous`.
    pub change: i64,
    /// `change / previous`; `null` when nothing before.
    pub change_rate: Option<f64>,
}

/// A tracking number complained about more than once.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct TrackingCluster {
    pub tracking_number: String,
    pub complaints: i64,
    pub categories: Vec<String>,
    pub hub: Option<String>,
    pub city: Option<String>,
}

/// A hub's complaints, all categories together.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct HubCluster {
    pub hub: String,
    pub complaints: i64,
    pub previous: i64,
}

/// Answer of `GET /api/v1/analytics/complaint-hotspots`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Hotspots {
    pub from: NaiveDate,
    pub to: NaiveDate,
    /// The previous period of equal length the trend compares with.
    pub previous_from: NaiveDate,
    pub previous_to: NaiveDate,
    /// By category × city, most complaints first (then most before, then by category and city).
    pub by_city: Vec<Hotspot>,
    /// By category × hub, most complaints first (then most before, then by category and hub).
    pub by_hub: Vec<Hotspot>,
    /// Tracking numbers with two complaints or more, most first, then by tracking number (top
    /// 10).
    pub top_tracking_numbers: Vec<TrackingCluster>,
    /// Hubs with the most complaints (then most before, then by hub; top 10).
    pub top_hubs: Vec<HubCluster>,
}

/// One handler's figures over the period.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct StaffFigures {
    pub handler_id: Uuid,
    pub cases_closed: i64,
    /// Median of closed_at - received_at of the cases closed, in hours.
    pub median_resolution_hours: Option<f64>,
    pub first_responses: i64,
    pub first_response_sla_rate: Option<f64>,
    pub surveys: i64,
    pub csat_avg: Option<f64>,
    pub reopened: i64,
    /// reopened / closed.
    pub reopen_rate: Option<f64>,
}

/// Answer of `GET /api/v1/analytics/staff-performance`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct StaffPerformance {
    pub from: NaiveDate,
    pub to: NaiveDate,
    /// One row per handler, most cases closed first.
    pub data: Vec<StaffFigures>,
}

/// An early-warning alert.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Alert {
    pub id: Uuid,
    pub kind: AlertKind,
    pub city: Option<String>,
    pub category: Option<String>,
    pub hub_code: Option<String>,
    /// The day the condition was seen on: a calendar day of the alerts' time zone (setting
    /// `alerts.time_zone`, default `Asia/Shanghai`), not the UTC day.
    pub day: NaiveDate,
    /// Today's complaints, or today's on-time rate.
    pub observed: f64,
    /// Mean + 3σ of the previous 28 days, or the 28-day mean on-time rate minus 10 points.
    pub threshold: f64,
    pub status: AlertStatus,
    pub raised_at: DateTime<Utc>,
    pub acknowledged_at: Option<DateTime<Utc>>,
    pub acknowledged_by: Option<String>,
}

/// Query of `GET /api/v1/analytics/alerts`.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct AlertQuery {
    /// `open` | `acknowledged` (default: both).
    #[param(value_type = Option<String>, example = "open")]
    pub status: Option<String>,
    /// Page size, 1–200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    /// `next_cursor` of the previous page.
    #[param(pattern = "^[A-Za-z0-9_-]+$")]
    pub cursor: Option<String>,
}

/// A page of alerts.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct AlertPage {
    pub data: Vec<Alert>,
    pub next_cursor: Option<String>,
}
