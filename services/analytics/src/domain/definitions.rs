//! The KPI catalogue (SPEC §8): formula, numerator, denominator and source events of every
//! figure, versioned so any number can be reproduced.

use serde::Serialize;
use utoipa::ToSchema;

/// The first catalogue's version: of every definition not changed since.
const FIRST: &str = "2026-12-02.1";

/// Case-handling figures count cases of every type (inquiries, suggestions and praise as well
/// as complaints); before, complaints only.
const CASES_OF_EVERY_TYPE: &str = "2026-12-05.1";

/// `complaints` and `complaint_rate_per_10k` count complaints received from customers: no
/// longer the proactive cases the complaints service opens itself (SPEC §6). The case-handling
/// figures did not change: they counted proactive cases, as every case, and still do (their
/// texts now say so, their meaning is that of [`CASES_OF_EVERY_TYPE`]).
const PROACTIVE_NOT_RECEIVED: &str = "2026-12-06.1";

/// Version of the catalogue: the newest of its definitions' (checked by a test). A changed
/// definition gets a new version, so a figure can always be reproduced.
pub const DEFINITIONS_VERSION: &str = PROACTIVE_NOT_RECEIVED;

/// One KPI's definition.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(example = json!({"name": "complaint_rate_per_10k", "formula": "complaints / shipments x 10000",
    "numerator": "complaint cases received from customers (type complaint, not proactive)",
    "denominator": "shipments created", "source_events": ["complaint.received", "shipment.created"],
    "version": "2026-12-06.1"}))]
pub struct KpiDefinition {
    pub name: &'static str,
    pub formula: &'static str,
    pub numerator: &'static str,
    /// `null` for counts and sums.
    pub denominator: Option<&'static str>,
    pub source_events: &'static [&'static str],
    pub version: &'static str,
}

const fn kpi(
    name: &'static str,
    formula: &'static str,
    numerator: &'static str,
    denominator: Option<&'static str>,
    source_events: &'static [&'static str],
) -> KpiDefinition {
    KpiDefinition {
        name,
        formula,
        numerator,
        denominator,
        source_events,
        version: FIRST,
    }
}

impl KpiDefinition {
    /// This definition as changed in `version`.
    const fn changed_in(self, version: &'static str) -> Self {
        KpiDefinition { version, ..self }
    }
}

const SHIP: &[&str] = &["shipment.created"];
const DELIVERY: &[&str] = &["shipment.delivered", "shipment.created"];
const TRANSIT: &[&str] = &[
    "shipment.delivered",
    "shipment.status_changed",
    "shipment.created",
];
const EXC: &[&str] = &["shipment.exception_raised", "shipment.created"];
const RECEIVED: &[&str] = &["complaint.received"];
const CLOSED: &[&str] = &["complaint.closed"];
const SURVEY: &[&str] = &["survey.submitted"];
const ACTIVE: &[&str] = &["shipment.created", "customer.created"];
const PERIODS: Option<&str> = Some("customers active in the previous period");

/// Every KPI of `/analytics/kpis`, in the order of its rows' fields. Ratios are sums of the
/// numerator over the period ÷ sums of the denominator (never an average of daily ratios);
/// events count in the period holding their own time (delivered_at, occurred_at, ...). The
/// `complaint.*` and `survey.*` events of case handling are those of cases of every type,
/// proactive ones too (`domain::cases`); only `complaints` and `complaint_rate_per_10k` are of
/// complaints received from customers alone (type complaint, not proactive).
pub const KPIS: &[KpiDefinition] = &[
    kpi("shipments", "count of shipments created", "shipment.created", None, SHIP),
    kpi("delivered", "count of shipments delivered", "shipment.delivered", None, DELIVERY),
    kpi("on_time_rate", "delivered with delivered_at <= promised_at / delivered",
        "deliveries with on_time = true", Some("deliveries"), DELIVERY),
    kpi("damage_rate", "shipments with a damaged exception / shipments",
        "shipments with a damaged exception (once per shipment)", Some("shipments created"), EXC),
    kpi("loss_rate", "shipments with a lost exception / shipments",
        "shipments with a lost exception (once per shipment)", Some("shipments created"), EXC),
    kpi("exception_rate", "shipments with any exception / shipments",
        "shipments with an exception (once per shipment)", Some("shipments created"), EXC),
    kpi("avg_transit_hours", "mean of delivered_at - first in_transit, in hours",
        "sum of transit hours", Some("deliveries with a known in_transit scan"), TRANSIT),
    kpi("complaints", "count of complaint cases received from customers (type complaint; suggestions, inquiries and praise are not complaints, nor the proactive cases the service opens itself before the customer calls)",
        "complaint.received with type = complaint and proactive = false", None, RECEIVED)
        .changed_in(PROACTIVE_NOT_RECEIVED),
    kpi("complaint_rate_per_10k", "complaints / shipments x 10000",
        "complaint cases received from customers (type complaint, not proactive)",
        Some("shipments created"), &["complaint.received", "shipment.created"])
        .changed_in(PROACTIVE_NOT_RECEIVED),
    kpi("first_response_sla_rate",
        "cases (every type, proactive ones too) first-responded within SLA / cases first-responded",
        "complaint.first_responded with within_sla", Some("complaint.first_responded"),
        &["complaint.first_responded"]).changed_in(CASES_OF_EVERY_TYPE),
    kpi("resolved_within_24h_rate", "cases (every type, proactive ones too) closed within 24 h of receipt / closed",
        "complaint.closed with closed_at - received_at <= 24 h", Some("complaint.closed"), CLOSED)
        .changed_in(CASES_OF_EVERY_TYPE),
    kpi("resolved_within_48h_rate", "cases (every type, proactive ones too) closed within 48 h of receipt / closed",
        "complaint.closed with closed_at - received_at <= 48 h", Some("complaint.closed"), CLOSED)
        .changed_in(CASES_OF_EVERY_TYPE),
    kpi("sla_breaches", "count of complaint.sla_breached, cases of every type, proactive ones too",
        "complaint.sla_breached", None, &["complaint.sla_breached"])
        .changed_in(CASES_OF_EVERY_TYPE),
    kpi("csat_avg", "mean overall score (1-5) of surveys, cases of every type, proactive ones too", "sum of overall",
        Some("surveys"), SURVEY).changed_in(CASES_OF_EVERY_TYPE),
    kpi("satisfied_rate", "surveys (cases of every type, proactive ones too) with overall >= 4 / surveys",
        "surveys with overall >= 4", Some("surveys"), SURVEY).changed_in(CASES_OF_EVERY_TYPE),
    kpi("reopen_rate", "cases (every type, proactive ones too) reopened / closed", "complaint.reopened",
        Some("complaint.closed"), &["complaint.reopened", "complaint.closed"])
        .changed_in(CASES_OF_EVERY_TYPE),
    kpi("new_customers", "customers created", "customer.created", None, &["customer.created"]),
    kpi("active_customers", "distinct customers shipping in the period (shipper_customer_id)",
        "distinct shippers", None, ACTIVE),
    kpi("retention_rate", "customers active in both the previous and this period / customers active in the previous period",
        "customers active in both periods", PERIODS, ACTIVE),
    kpi("churn_rate", "customers active in the previous period but not this one / customers active in the previous period",
        "customers lost since the previous period", PERIODS, ACTIVE),
    kpi("repurchase_rate", "active customers with two shipments or more in the period / active customers",
        "customers shipping at least twice", Some("active customers"), ACTIVE),
    kpi("claims_paid", "sum of amount_paid of claims settled as paid (CNY)", "claim.settled amount_paid",
        None, &["claim.settled"]),
];

#[cfg(test)]
mod tests {
    use super::*;

    /// The case-handling figures: they count cases of every type, proactive ones too.
    const CASE_HANDLING: [&str; 7] = [
        "first_response_sla_rate",
        "resolved_within_24h_rate",
        "resolved_within_48h_rate",
        "sla_breaches",
        "csat_avg",
        "satisfied_rate",
        "reopen_rate",
    ];

    fn defined(name: &str) -> &'static KpiDefinition {
        KPIS.iter().find(|k| k.name == name).expect("defined")
    }

    #[test]
    fn the_catalogue_names_every_kpi_of_the_spec_once_in_the_rows_order() {
        let names: Vec<_> = KPIS.iter().map(|k| k.name).collect();
        let row = serde_json::to_value(crate::domain::kpi::KpiRow::compute(
            crate::domain::periods::Period {
                start: chrono::NaiveDate::MIN,
                end: chrono::NaiveDate::MIN,
            },
            &Default::default(),
            &Default::default(),
        ))
        .expect("json");
        let fields: Vec<_> = row
            .as_object()
            .expect("object")
            .keys()
            .filter(|k| !k.starts_with("period_"))
            .map(String::as_str)
            .collect();
        let mut sorted = names.clone();
        sorted.sort_unstable();
        assert_eq!(sorted, fields, "one definition per KPI field");
        assert_eq!(names.len(), 22);
    }

    #[test]
    fn the_catalogue_version_is_the_newest_of_its_definitions() {
        let newest = KPIS.iter().map(|k| k.version).max();
        assert_eq!(newest, Some(DEFINITIONS_VERSION));
    }

    #[test]
    fn the_case_handling_figures_changed_to_every_case_type_and_shipments_did_not() {
        let version = |name: &str| defined(name).version;
        for name in CASE_HANDLING {
            assert_eq!(
                version(name),
                CASES_OF_EVERY_TYPE,
                "{name} counts every case"
            );
        }
        for name in ["shipments", "claims_paid"] {
            assert_eq!(version(name), FIRST, "{name} is unchanged");
        }
    }

    #[test]
    fn complaints_and_their_rate_leave_out_proactive_cases_and_case_handling_keeps_them() {
        for name in ["complaints", "complaint_rate_per_10k"] {
            let kpi = defined(name);
            assert_eq!(kpi.version, PROACTIVE_NOT_RECEIVED, "{name} changed");
            assert!(
                kpi.numerator.contains("not proactive")
                    || kpi.numerator.contains("proactive = false"),
                "{name} says proactive cases are left out: {kpi:?}"
            );
        }
        for name in CASE_HANDLING {
            let kpi = defined(name);
            assert!(
                kpi.formula.contains("proactive ones too"),
                "{name} says proactive cases count: {kpi:?}"
            );
            assert_eq!(
                kpi.version, CASES_OF_EVERY_TYPE,
                "{name}: its meaning did not change"
            );
        }
        assert_eq!(DEFINITIONS_VERSION, PROACTIVE_NOT_RECEIVED);
    }
}
