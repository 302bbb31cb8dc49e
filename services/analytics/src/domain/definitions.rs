//! The KPI catalogue (SPEC §8): formula, numerator, denominator and source events of every
//! figure, versioned so any number can be reproduced.

use serde::Serialize;
use utoipa::ToSchema;

/// Version of the definitions below; a changed definition gets a new version.
pub const DEFINITIONS_VERSION: &str = "2026-11-25.1";

/// One KPI's definition.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct KpiDefinition {
    pub name: &'static str,
    pub formula: &'static str,
    pub numerator: &'static str,
    pub denominator: Option<&'static str>,
    pub source_events: &'static [&'static str],
    pub version: &'static str,
    /// Whether the rollups are fed yet; unfed KPIs are `null` in `/analytics/kpis`.
    pub available: bool,
}

const fn kpi(
    name: &'static str,
    formula: &'static str,
    numerator: &'static str,
    denominator: Option<&'static str>,
    source_events: &'static [&'static str],
    available: bool,
) -> KpiDefinition {
    KpiDefinition {
        name,
        formula,
        numerator,
        denominator,
        source_events,
        version: DEFINITIONS_VERSION,
        available,
    }
}

const SHIP: &[&str] = &["shipment.created"];
const DELIVERY: &[&str] = &["shipment.delivered", "shipment.created"];
const EXC: &[&str] = &["shipment.exception_raised", "shipment.created"];
const CASES: &[&str] = &[
    "complaint.received",
    "complaint.status_changed",
    "complaint.closed",
];
const SURVEY: &[&str] = &["survey.submitted"];
const CUST: &[&str] = &["customer.created", "shipment.created"];

pub const KPIS: &[KpiDefinition] = &[
    kpi(
        "shipments",
        "count of shipments created",
        "shipment.created",
        None,
        SHIP,
        true,
    ),
    kpi(
        "delivered",
        "count of shipments delivered",
        "shipment.delivered",
        None,
        DELIVERY,
        false,
    ),
    kpi(
        "on_time_rate",
        "delivered with delivered_at <= promised_at / delivered",
        "on-time deliveries",
        Some("deliveries"),
        DELIVERY,
        false,
    ),
    kpi(
        "damage_rate",
        "shipments with a damaged exception / shipments",
        "damaged shipments",
        Some("shipments"),
        EXC,
        false,
    ),
    kpi(
        "loss_rate",
        "shipments with a lost exception / shipments",
        "lost shipments",
        Some("shipments"),
        EXC,
        false,
    ),
    kpi(
        "exception_rate",
        "shipments with any exception / shipments",
        "shipments with an exception",
        Some("shipments"),
        EXC,
        false,
    ),
    kpi(
        "avg_transit_hours",
        "mean of delivered_at - first in_transit",
        "sum of transit hours",
        Some("deliveries"),
        DELIVERY,
        false,
    ),
    kpi(
        "complaints",
        "count of complaint cases received (type complaint; suggestions, inquiries and praise are not complaints)",
        "complaint.received with type = complaint",
        None,
        &["complaint.received"],
        true,
    ),
    kpi(
        "complaint_rate_per_10k",
        "complaints / shipments x 10000",
        "complaints",
        Some("shipments"),
        &["complaint.received", "shipment.created"],
        true,
    ),
    kpi(
        "first_response_sla_rate",
        "cases first-responded within SLA / cases first-responded",
        "in-SLA first responses",
        Some("first responses"),
        CASES,
        false,
    ),
    kpi(
        "resolved_within_24h_rate",
        "closed within 24 h of receipt / closed",
        "closed within 24 h",
        Some("closed"),
        CASES,
        false,
    ),
    kpi(
        "resolved_within_48h_rate",
        "closed within 48 h of receipt / closed",
        "closed within 48 h",
        Some("closed"),
        CASES,
        false,
    ),
    kpi(
        "sla_breaches",
        "count of complaint.sla_breached",
        "complaint.sla_breached",
        None,
        &["complaint.sla_breached"],
        false,
    ),
    kpi(
        "csat_avg",
        "mean overall score of surveys",
        "sum of overall",
        Some("surveys"),
        SURVEY,
        false,
    ),
    kpi(
        "satisfied_rate",
        "surveys with overall >= 4 / surveys",
        "satisfied surveys",
        Some("surveys"),
        SURVEY,
        false,
    ),
    kpi(
        "reopen_rate",
        "reopened / closed",
        "complaint.reopened",
        Some("complaint.closed"),
        &["complaint.reopened", "complaint.closed"],
        false,
    ),
    kpi(
        "new_customers",
        "customers created",
        "customer.created",
        None,
        CUST,
        false,
    ),
    kpi(
        "active_customers",
        "customers with a shipment in the period",
        "active customers",
        None,
        CUST,
        false,
    ),
    kpi(
        "retention_rate",
        "active in the previous and the current period / active in the previous period",
        "retained",
        Some("previously active"),
        CUST,
        false,
    ),
    kpi(
        "churn_rate",
        "1 - retention_rate",
        "churned",
        Some("previously active"),
        CUST,
        false,
    ),
    kpi(
        "repurchase_rate",
        "customers with 2+ shipments in the period / active customers",
        "repeat shippers",
        Some("active customers"),
        CUST,
        false,
    ),
    kpi(
        "claims_paid",
        "sum of settled claim amounts",
        "claim.settled amounts",
        None,
        &["claim.settled"],
        false,
    ),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_catalogue_names_every_kpi_of_the_spec_once() {
        let names: Vec<_> = KPIS.iter().map(|k| k.name).collect();
        assert_eq!(names.len(), 22);
        let mut unique = names.clone();
        unique.sort_unstable();
        unique.dedup();
        assert_eq!(unique.len(), names.len(), "duplicate KPI name");
        for needed in [
            "on_time_rate",
            "complaint_rate_per_10k",
            "csat_avg",
            "retention_rate",
            "claims_paid",
        ] {
            assert!(names.contains(&needed), "{needed} missing");
        }
    }
}
