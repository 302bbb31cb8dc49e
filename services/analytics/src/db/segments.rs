//! Segments and churn risk, from the customer projection (set-based: window functions rank
//! the customers, PostgreSQL aggregates).

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Integer, Nullable, Text, Uuid as SqlUuid};
use kuaidi_shared::money::Money;
use kuaidi_shared::pagination::Cursor;
use uuid::Uuid;

use super::schema::customers as cu;
use crate::api::segments::{ChurnRisk, ParetoPoint, RfmCell, Segments, StageCount, TierShare};
use crate::domain::kpi::{ratio, CURRENCY};

#[derive(QueryableByName)]
struct Group {
    #[diesel(sql_type = Text)]
    name: String,
    #[diesel(sql_type = BigInt)]
    customers: i64,
    #[diesel(sql_type = BigInt)]
    value: i64,
}

#[derive(QueryableByName)]
struct Rfm {
    #[diesel(sql_type = Integer)]
    r: i32,
    #[diesel(sql_type = Integer)]
    f: i32,
    #[diesel(sql_type = Integer)]
    m: i32,
    #[diesel(sql_type = BigInt)]
    customers: i64,
}

const SCOPE: &str = "($1::uuid IS NULL OR merchant_id = $1)";

fn groups(conn: &mut PgConnection, sql: &str, merchant: Option<Uuid>) -> QueryResult<Vec<Group>> {
    diesel::sql_query(sql)
        .bind::<Nullable<SqlUuid>, _>(merchant)
        .load(conn)
}

/// Value tiers, the Pareto curve, RFM cells and lifecycle stages of the customers in scope
/// (one merchant's, or everyone's).
pub fn segments(conn: &mut PgConnection, merchant: Option<Uuid>) -> QueryResult<Segments> {
    let tiers = groups(
        conn,
        &format!(
            "SELECT COALESCE(NULLIF(value_tier, ''), 'unclassified') AS name, COUNT(*)::bigint AS customers, \
                    SUM(spend_12m_minor)::bigint AS value \
             FROM customers WHERE {SCOPE} GROUP BY 1 ORDER BY 3 DESC, 1"
        ),
        merchant,
    )?;
    let deciles = groups(
        conn,
        &format!(
            "SELECT d::text AS name, COUNT(*)::bigint AS customers, SUM(v)::bigint AS value FROM ( \
               SELECT ntile(10) OVER (ORDER BY spend_12m_minor DESC, customer_id) AS d, spend_12m_minor AS v \
               FROM customers WHERE {SCOPE}) ranked GROUP BY d ORDER BY d"
        ),
        merchant,
    )?;
    let stages = groups(
        conn,
        &format!(
            "SELECT COALESCE(NULLIF(lifecycle_stage, ''), 'unknown') AS name, COUNT(*)::bigint AS customers, \
                    0::bigint AS value FROM customers WHERE {SCOPE} GROUP BY 1 ORDER BY 1"
        ),
        merchant,
    )?;
    let rfm: Vec<Rfm> = diesel::sql_query(format!(
        "SELECT r, f, m, COUNT(*)::bigint AS customers FROM ( \
           SELECT ntile(5) OVER (ORDER BY last_shipment_at, customer_id)::int AS r, \
                  ntile(5) OVER (ORDER BY shipments, customer_id)::int AS f, \
                  ntile(5) OVER (ORDER BY spend_12m_minor, customer_id)::int AS m \
           FROM customers WHERE {SCOPE} AND last_shipment_at IS NOT NULL) scored \
         GROUP BY 1, 2, 3 ORDER BY 1 DESC, 2 DESC, 3 DESC"
    ))
    .bind::<Nullable<SqlUuid>, _>(merchant)
    .load(conn)?;
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
    Ok(Segments {
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
    })
}

type RiskRow = (
    Uuid,
    Uuid,
    String,
    String,
    Option<f64>,
    Option<i64>,
    Option<f64>,
    Option<DateTime<Utc>>,
    Option<DateTime<Utc>>,
);

/// Customers currently at risk (a detection not followed by a recovery to an active stage,
/// nor churned yet), latest detections first.
pub fn churn_risk(
    conn: &mut PgConnection,
    merchant: Option<Uuid>,
    limit: i64,
    after: Option<Cursor>,
) -> QueryResult<Vec<ChurnRisk>> {
    let mut q = cu::table
        .filter(cu::churn_detected_at.is_not_null())
        .filter(cu::lifecycle_stage.ne("churned"))
        .filter(
            cu::stage_changed_at
                .is_null()
                .or(cu::stage_changed_at.le(cu::churn_detected_at))
                .or(cu::lifecycle_stage.eq_any(["at_risk", ""])),
        )
        .select((
            cu::customer_id,
            cu::merchant_id,
            cu::value_tier,
            cu::lifecycle_stage,
            cu::churn_baseline_monthly,
            cu::churn_last_30d,
            cu::churn_drop_ratio,
            cu::churn_detected_at,
            cu::last_shipment_at,
        ))
        .into_boxed();
    if let Some(m) = merchant {
        q = q.filter(cu::merchant_id.eq(m));
    }
    if let Some(c) = after {
        q = q.filter(
            cu::churn_detected_at
                .lt(c.at)
                .or(cu::churn_detected_at.eq(c.at).and(cu::customer_id.lt(c.id))),
        );
    }
    let rows: Vec<RiskRow> = q
        .order((cu::churn_detected_at.desc(), cu::customer_id.desc()))
        .limit(limit + 1)
        .load(conn)?;
    let some = |s: String| Some(s).filter(|s| !s.is_empty());
    Ok(rows
        .into_iter()
        .map(
            |(id, m, tier, stage, base, last, drop, at, shipped)| ChurnRisk {
                customer_id: id,
                merchant_id: Some(m).filter(|m| !m.is_nil()),
                value_tier: some(tier),
                lifecycle_stage: some(stage),
                baseline_monthly: base.unwrap_or(0.0),
                last_30d: last.unwrap_or(0),
                drop_ratio: drop.unwrap_or(0.0),
                detected_at: at.unwrap_or_default(),
                last_shipment_at: shipped,
            },
        )
        .collect())
}
