//! Customer segments and churn risk, and their answers built from the rows of
//! `db::segments`.

pub mod churn_risk;
pub mod get;

use kuaidi_shared::money::Money;

use crate::api::segments::{ChurnRisk, ParetoPoint, RfmCell, Segments, StageCount, TierShare};
use crate::db::segments::{RiskRow, SegmentRows};
use crate::domain::kpi::{ratio, CURRENCY};

/// Value tiers with their shares, the Pareto curve, RFM cells and lifecycle stages.
pub fn segments(rows: SegmentRows) -> Segments {
    let SegmentRows {
        tiers,
        deciles,
        stages,
        rfm,
    } = rows;
    let customers: i64 = tiers.iter().map(|t| t.customers).sum();
    let total: i64 = tiers.iter().map(|t| t.value).sum();
    let (mut seen, mut value) = (0, 0);
    let pareto = deciles
        .iter()
        .map(|d| {
            seen += d.customers;
            value += d.value;
            ParetoPoint {
                customer_share: ratio(seen, customers).unwrap_or(0.0),
                value_share: ratio(value, total).unwrap_or(0.0),
            }
        })
        .collect();
    Segments {
        customers,
        value_tiers: tiers
            .into_iter()
            .map(|t| TierShare {
                customer_share: ratio(t.customers, customers),
                value_share: ratio(t.value, total),
                value: Money::from_minor(t.value, CURRENCY),
                tier: t.name,
                customers: t.customers,
            })
            .collect(),
        pareto,
        rfm: rfm
            .into_iter()
            .map(|c| RfmCell {
                recency_score: c.r,
                frequency_score: c.f,
                monetary_score: c.m,
                customers: c.customers,
            })
            .collect(),
        lifecycle_stages: stages
            .into_iter()
            .map(|s| StageCount {
                stage: s.name,
                customers: s.customers,
            })
            .collect(),
    }
}

/// A customer at risk as answered.
pub fn churn_risk(row: RiskRow) -> ChurnRisk {
    let some = |s: String| Some(s).filter(|s| !s.is_empty());
    let (id, m, tier, stage, base, last, drop, at, shipped) = row;
    ChurnRisk {
        customer_id: id,
        merchant_id: Some(m).filter(|m| !m.is_nil()),
        value_tier: some(tier),
        lifecycle_stage: some(stage),
        baseline_monthly: base.unwrap_or(0.0),
        last_30d: last.unwrap_or(0),
        drop_ratio: drop.unwrap_or(0.0),
        detected_at: at.unwrap_or_default(),
        last_shipment_at: shipped,
    }
}
