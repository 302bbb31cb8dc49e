//! KPI query and answer, and the KPI catalogue's answer.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use utoipa::{IntoParams, ToSchema};

use crate::domain::definitions::KpiDefinition;
pub use crate::domain::kpi::KpiRow;

/// Query of the analytics reports (`/kpis`, `/complaint-hotspots`, `/staff-performance`,
/// `/export`). Every value arrives as text so that a bad one is a `422` naming its parameter
/// (parsed in `domain::query`); unknown parameters are refused by name too.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct KpiQuery {
    /// First local day, inclusive: `YYYY-MM-DD`, or an RFC 3339 timestamp standing for its day
    /// in `tz`; default 29 days before `to`. With `week` or `month` the rows are the whole
    /// periods overlapping `from..=to`.
    #[param(value_type = Option<String>, example = "2026-11-01")]
    pub from: Option<String>,
    /// Last local day, inclusive: `YYYY-MM-DD`, or an RFC 3339 timestamp standing for its day in
    /// `tz`; default today. At most 400 periods in all.
    #[param(value_type = Option<String>, example = "2026-11-25")]
    pub to: Option<String>,
    /// `day` (default) | `week` (Monday to Sunday) | `month` (calendar month).
    #[param(value_type = Option<String>, pattern = "^(day|week|month)$", example = "day")]
    pub granularity: Option<String>,
    /// IANA time zone whose calendar days the periods are (default `UTC`).
    #[param(example = "Asia/Shanghai")]
    pub tz: Option<String>,
    /// Destination city of shipments, city of complaints and customers.
    #[param(max_length = 100, example = "北京")]
    pub city: Option<String>,
    /// Destination province of shipments.
    #[param(max_length = 100, example = "北京")]
    pub province: Option<String>,
    /// Service level of shipments: `standard` | `express` | `same_day` | `scheduled` |
    /// `cold_chain` | `international` (another value is a `422`).
    #[param(value_type = Option<String>,
        pattern = "^(standard|express|same_day|scheduled|cold_chain|international)$",
        example = "express")]
    pub service_level: Option<String>,
    /// Value tier of the shipper / complaining customer: `key` | `ordinary` | `small` (another
    /// value is a `422`).
    #[param(value_type = Option<String>, pattern = "^(key|ordinary|small)$", example = "key")]
    pub value_tier: Option<String>,
    /// Staff may narrow to one merchant. A merchant sees only its own figures: its own id or
    /// none; another merchant's is a `404`.
    #[param(value_type = Option<String>, format = Uuid, example = "0193a0c4-8a6e-7c1a-9a51-5f0c2b1d7e01")]
    pub merchant_id: Option<String>,
    /// Any other parameter (refused).
    #[serde(flatten)]
    #[param(ignore)]
    pub unknown: BTreeMap<String, String>,
}

/// Answer of `GET /api/v1/analytics/kpis`: one row per period, in order, periods without
/// activity included with zeros; a rate is `null` where its denominator is zero, and every
/// rate of a period that has not started yet (after today in `tz`).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct KpiReport {
    pub data: Vec<KpiRow>,
    /// Version of the KPI definitions the figures follow.
    pub definitions_version: String,
}

/// Answer of `GET /api/v1/analytics/kpi-definitions`.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct KpiDefinitions {
    pub data: Vec<KpiDefinition>,
    pub definitions_version: String,
}
