//! The KPI formulas of SPEC §8 on summed counters: every ratio is sum ÷ sum over the period,
//! `null` only where the denominator is zero or the period has not started yet.

use chrono::NaiveDate;
use kuaidi_shared::money::Money;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::facts::Counters;
use super::periods::Period;

/// The currency claims are paid in.
pub const CURRENCY: &str = "CNY";

/// Distinct-customer figures of one period (they cannot be summed across buckets).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CustomerFigures {
    /// Customers with a shipment in the period.
    pub active: i64,
    /// Of those, customers with two shipments or more.
    pub repeaters: i64,
    /// Customers active in the previous period.
    pub previous_active: i64,
    /// Customers active in both the previous and this period.
    pub retained: i64,
}

/// Every KPI of one period (SPEC §8).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({
    "period_start": "2026-11-25", "period_end": "2026-11-25",
    "shipments": 4, "delivered": 2, "on_time_rate": 0.5, "damage_rate": 0.25,
    "loss_rate": 0.0, "exception_rate": 0.25, "avg_transit_hours": 20.5,
    "complaints": 1, "complaint_rate_per_10k": 2500.0,
    "first_response_sla_rate": 1.0, "resolved_within_24h_rate": 1.0,
    "resolved_within_48h_rate": 1.0, "sla_breaches": 0, "csat_avg": 4.0,
    "satisfied_rate": 1.0, "reopen_rate": 0.0, "new_customers": 1,
    "active_customers": 3, "retention_rate": 0.5, "churn_rate": 0.5,
    "repurchase_rate": 0.33, "claims_paid": {"amount": "120.00", "currency": "CNY"}
}))]
pub struct KpiRow {
    /// First local day of the period (a Monday for weeks, the 1st for months).
    pub period_start: NaiveDate,
    /// Last local day of the period, inclusive.
    pub period_end: NaiveDate,
    pub shipments: i64,
    pub delivered: i64,
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
    pub sla_breaches: i64,
    pub csat_avg: Option<f64>,
    pub satisfied_rate: Option<f64>,
    pub reopen_rate: Option<f64>,
    pub new_customers: i64,
    pub active_customers: i64,
    pub retention_rate: Option<f64>,
    pub churn_rate: Option<f64>,
    pub repurchase_rate: Option<f64>,
    pub claims_paid: Money,
}

impl KpiRow {
    /// The figures of `period` from its summed counters and customer figures.
    pub fn compute(period: Period, c: &Counters, cust: &CustomerFigures) -> Self {
        Self {
            period_start: period.start,
            period_end: period.end,
            shipments: c.shipments,
            delivered: c.delivered,
            on_time_rate: ratio(c.delivered_on_time, c.delivered),
            damage_rate: ratio(c.damaged, c.shipments),
            loss_rate: ratio(c.lost, c.shipments),
            exception_rate: ratio(c.excepted, c.shipments),
            avg_transit_hours: mean(c.transit_seconds as f64 / 3600.0, c.transit_count),
            complaints: c.complaints,
            complaint_rate_per_10k: per_10k(c.complaints, c.shipments),
            first_response_sla_rate: ratio(c.first_responses_in_sla, c.first_responses),
            resolved_within_24h_rate: ratio(c.closed_24h, c.closed),
            resolved_within_48h_rate: ratio(c.closed_48h, c.closed),
            sla_breaches: c.sla_breaches,
            csat_avg: mean(c.survey_overall_sum as f64, c.surveys),
            satisfied_rate: ratio(c.surveys_satisfied, c.surveys),
            reopen_rate: ratio(c.reopened, c.closed),
            new_customers: c.new_customers,
            active_customers: cust.active,
            retention_rate: ratio(cust.retained, cust.previous_active),
            churn_rate: ratio(cust.previous_active - cust.retained, cust.previous_active),
            repurchase_rate: ratio(cust.repeaters, cust.active),
            claims_paid: Money::from_minor(c.claims_paid_minor, CURRENCY),
        }
    }

    /// The row of a period that has not started yet: no data, so no rate — a retention of 0 %
    /// and a churn of 100 % against the period before would be figures of nothing.
    pub fn not_started(self) -> Self {
        Self {
            on_time_rate: None,
            damage_rate: None,
            loss_rate: None,
            exception_rate: None,
            avg_transit_hours: None,
            complaint_rate_per_10k: None,
            first_response_sla_rate: None,
            resolved_within_24h_rate: None,
            resolved_within_48h_rate: None,
            csat_avg: None,
            satisfied_rate: None,
            reopen_rate: None,
            retention_rate: None,
            churn_rate: None,
            repurchase_rate: None,
            ..self
        }
    }
}

fn round(value: f64, decimals: i32) -> f64 {
    let scale = 10f64.powi(decimals);
    (value * scale).round() / scale
}

/// `numerator / denominator` to 4 decimals; `None` when the denominator is 0.
pub fn ratio(numerator: i64, denominator: i64) -> Option<f64> {
    (denominator > 0).then(|| round(numerator as f64 / denominator as f64, 4))
}

/// `sum / count` to 2 decimals; `None` without samples.
pub fn mean(sum: f64, count: i64) -> Option<f64> {
    (count > 0).then(|| round(sum / count as f64, 2))
}

/// `numerator / denominator × 10 000` to 2 decimals; `None` when the denominator is 0.
pub fn per_10k(numerator: i64, denominator: i64) -> Option<f64> {
    (denominator > 0).then(|| round(numerator as f64 * 10_000.0 / denominator as f64, 2))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn period() -> Period {
        let d = NaiveDate::from_ymd_opt(2026, 11, 25).expect("date");
        Period { start: d, end: d }
    }

    fn row(c: Counters, cust: CustomerFigures) -> KpiRow {
        KpiRow::compute(period(), &c, &cust)
    }

    /// The row of `c` alone (no customer figures).
    fn counted(c: Counters) -> KpiRow {
        row(c, CustomerFigures::default())
    }

    #[test]
    fn four_shipments_two_delivered_one_late_one_damaged_one_complaint() {
        let r = counted(Counters {
            shipments: 4,
            delivered: 2,
            delivered_on_time: 1,
            damaged: 1,
            excepted: 2,
            complaints: 1,
            ..Counters::default()
        });
        assert_eq!(r.on_time_rate, Some(0.5));
        assert_eq!(r.damage_rate, Some(0.25));
        assert_eq!(r.loss_rate, Some(0.0));
        assert_eq!(r.exception_rate, Some(0.5));
        assert_eq!(r.complaint_rate_per_10k, Some(2500.0));
    }

    #[test]
    fn transit_hours_are_the_mean_of_measured_deliveries() {
        let r = counted(Counters {
            delivered: 3,
            transit_count: 2,
            transit_seconds: 36 * 3600 + 1800,
            ..Counters::default()
        });
        assert_eq!(r.avg_transit_hours, Some(18.25));
    }

    #[test]
    fn case_handling_rates_share_their_denominators() {
        let r = counted(Counters {
            first_responses: 4,
            first_responses_in_sla: 3,
            closed: 4,
            closed_24h: 1,
            closed_48h: 3,
            reopened: 1,
            sla_breaches: 2,
            ..Counters::default()
        });
        assert_eq!(r.first_response_sla_rate, Some(0.75));
        assert_eq!(r.resolved_within_24h_rate, Some(0.25));
        assert_eq!(r.resolved_within_48h_rate, Some(0.75));
        assert_eq!(r.reopen_rate, Some(0.25));
        assert_eq!(r.sla_breaches, 2);
    }

    #[test]
    fn satisfaction_is_the_mean_overall_and_the_share_of_four_or_more() {
        let r = counted(Counters {
            surveys: 3,
            survey_overall_sum: 5 + 4 + 2,
            surveys_satisfied: 2,
            ..Counters::default()
        });
        assert_eq!(r.csat_avg, Some(3.67));
        assert_eq!(r.satisfied_rate, Some(0.6667));
    }

    #[test]
    fn retention_churn_and_repurchase_come_from_distinct_customers() {
        let r = row(
            Counters {
                new_customers: 2,
                ..Counters::default()
            },
            CustomerFigures {
                active: 4,
                repeaters: 1,
                previous_active: 5,
                retained: 3,
            },
        );
        assert_eq!(r.new_customers, 2);
        assert_eq!(r.active_customers, 4);
        assert_eq!(r.retention_rate, Some(0.6));
        assert_eq!(r.churn_rate, Some(0.4));
        assert_eq!(r.repurchase_rate, Some(0.25));
    }

    #[test]
    fn claims_paid_are_money_and_every_rate_without_denominator_is_null() {
        let r = counted(Counters {
            claims_paid_minor: 12_050,
            ..Counters::default()
        });
        assert_eq!(r.claims_paid.amount, "120.50");
        for rate in [
            r.on_time_rate,
            r.damage_rate,
            r.loss_rate,
            r.exception_rate,
            r.avg_transit_hours,
            r.complaint_rate_per_10k,
            r.first_response_sla_rate,
            r.resolved_within_24h_rate,
            r.resolved_within_48h_rate,
            r.csat_avg,
            r.satisfied_rate,
            r.reopen_rate,
            r.retention_rate,
            r.churn_rate,
            r.repurchase_rate,
        ] {
            assert_eq!(rate, None);
        }
    }

    #[test]
    fn a_period_not_started_has_no_rate_but_keeps_its_counts() {
        let c = Counters {
            shipments: 2,
            delivered: 1,
            transit_count: 1,
            first_responses: 1,
            closed: 1,
            surveys: 1,
            survey_overall_sum: 5,
            ..Counters::default()
        };
        let cust = CustomerFigures {
            active: 1,
            previous_active: 4,
            ..CustomerFigures::default()
        };
        let row = serde_json::to_value(row(c, cust).not_started()).expect("json");
        for kpi in crate::domain::definitions::KPIS {
            let value = &row[kpi.name];
            match kpi.denominator {
                Some(_) => assert!(value.is_null(), "{}: {value}", kpi.name),
                None => assert!(!value.is_null(), "{}", kpi.name),
            }
        }
        assert_eq!(row["shipments"], 2);
    }

    #[test]
    fn per_10k_rounds_to_two_decimals() {
        assert_eq!(per_10k(1, 3), Some(3333.33));
        assert_eq!(per_10k(7, 1), Some(70_000.0));
        assert_eq!(per_10k(5, 0), None);
    }
}
