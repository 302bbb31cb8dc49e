//! Segments and churn risk, from the customer projection (set-based: window functions rank
//! the customers, PostgreSQL aggregates), as rows: `routes::segments` builds the answers.

use chrono::{DateTime, NaiveDate, Utc};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Date, Integer, Nullable, Text, Uuid as SqlUuid};
use kuaidi_shared::pagination::Cursor;
use uuid::Uuid;

use super::schema::customers as cu;

/// Customers of one group and their freight spend over the trailing 12 months (minor units).
#[derive(QueryableByName)]
pub struct Group {
    #[diesel(sql_type = Text)]
    pub name: String,
    #[diesel(sql_type = BigInt)]
    pub customers: i64,
    #[diesel(sql_type = BigInt)]
    pub value: i64,
}

/// Customers of one RFM cell (scores 1–5).
#[derive(QueryableByName)]
pub struct Rfm {
    #[diesel(sql_type = Integer)]
    pub r: i32,
    #[diesel(sql_type = Integer)]
    pub f: i32,
    #[diesel(sql_type = Integer)]
    pub m: i32,
    #[diesel(sql_type = BigInt)]
    pub customers: i64,
}

/// The customers in scope (`$1`: one merchant's, or everyone's when null) with their
/// shipments (`f`) and freight spend (`v`) over the trailing 12 months ending on the UTC day
/// `$2` (the days after `$2 - 365`, as the customers service counts them).
const SCOPED: &str = "WITH window_days AS ( \
       SELECT customer_id, SUM(shipments)::bigint AS f, SUM(spend_minor)::bigint AS v \
       FROM customer_days WHERE day > $2::date - 365 AND day <= $2::date GROUP BY customer_id), \
     scoped AS ( \
       SELECT c.customer_id, c.value_tier, c.lifecycle_stage, c.last_shipment_at, \
              COALESCE(w.f, 0) AS f, COALESCE(w.v, 0) AS v \
       FROM customers c LEFT JOIN window_days w ON w.customer_id = c.customer_id \
       WHERE ($1::uuid IS NULL OR c.merchant_id = $1)) ";

/// The RFM cells of the customers in scope (`$1`, `$2` as in [`SCOPED`]), scored as the
/// customers service scores them (SPEC §4), over every customer who shipped — so a customer's
/// cell is the `rfm` its file shows: recency by the day of the last shipment, frequency and
/// monetary over the trailing 12 months, each the quintile (`kuaidi_quintile`, a shared
/// migration: as `NTILE(5)` deals them) of the middle position of the customer's group of
/// equal values, so ties score alike.
const RFM: &str = "WITH window_days AS ( \
       SELECT customer_id, SUM(shipments)::bigint AS f, SUM(spend_minor)::bigint AS v \
       FROM customer_days WHERE day > $2::date - 365 AND day <= $2::date GROUP BY customer_id), \
     shipped AS ( \
       SELECT c.merchant_id, (c.last_shipment_at AT TIME ZONE 'UTC')::date AS last_day, \
              COALESCE(w.f, 0) AS f, COALESCE(w.v, 0) AS v \
       FROM customers c LEFT JOIN window_days w ON w.customer_id = c.customer_id \
       WHERE c.last_shipment_at IS NOT NULL), \
     ranked AS ( \
       SELECT merchant_id, COUNT(*) OVER () AS n, \
         (RANK() OVER by_day + COUNT(*) OVER by_day) / 2 AS r_pos, \
         (RANK() OVER by_f + COUNT(*) OVER by_f) / 2 AS f_pos, \
         (RANK() OVER by_v + COUNT(*) OVER by_v) / 2 AS m_pos \
       FROM shipped \
       WINDOW by_day AS (ORDER BY last_day), by_f AS (ORDER BY f), by_v AS (ORDER BY v)), \
     scored AS ( \
       SELECT merchant_id, \
         kuaidi_quintile(r_pos, n) AS r, kuaidi_quintile(f_pos, n) AS f, \
         kuaidi_quintile(m_pos, n) AS m \
       FROM ranked) \
     SELECT r, f, m, COUNT(*)::bigint AS customers FROM scored \
     WHERE $1::uuid IS NULL OR merchant_id = $1 \
     GROUP BY 1, 2, 3 ORDER BY 1 DESC, 2 DESC, 3 DESC";

/// The rows of `query`, which reads `scoped` (see [`SCOPED`]).
fn scoped<T: QueryableByName<diesel::pg::Pg> + 'static>(
    conn: &mut PgConnection,
    query: &str,
    merchant: Option<Uuid>,
    today: NaiveDate,
) -> QueryResult<Vec<T>> {
    diesel::sql_query(format!("{SCOPED}{query}"))
        .bind::<Nullable<SqlUuid>, _>(merchant)
        .bind::<Date, _>(today)
        .load(conn)
}

/// The rows of the segments, each group largest first (stages by name).
pub struct SegmentRows {
    pub tiers: Vec<Group>,
    /// Ten deciles of spend, the biggest spenders first.
    pub deciles: Vec<Group>,
    pub stages: Vec<Group>,
    pub rfm: Vec<Rfm>,
}

/// Value tiers, the Pareto curve, RFM cells and lifecycle stages of the customers in scope
/// (one merchant's, or everyone's), as of the UTC day `today`: value is the freight spend of
/// the trailing 12 months, RFM's frequency the shipments in them, its recency the last
/// shipment ever (customers who never shipped are not scored).
pub fn segments(
    conn: &mut PgConnection,
    merchant: Option<Uuid>,
    today: NaiveDate,
) -> QueryResult<SegmentRows> {
    let tiers = scoped(
        conn,
        "SELECT COALESCE(NULLIF(value_tier, ''), 'unclassified') AS name, COUNT(*)::bigint AS customers, \
                SUM(v)::bigint AS value \
         FROM scoped GROUP BY 1 ORDER BY 3 DESC, 1",
        merchant,
        today,
    )?;
    let deciles = scoped(
        conn,
        "SELECT d::text AS name, COUNT(*)::bigint AS customers, SUM(v)::bigint AS value FROM ( \
           SELECT ntile(10) OVER (ORDER BY v DESC, customer_id) AS d, v FROM scoped) ranked \
         GROUP BY d ORDER BY d",
        merchant,
        today,
    )?;
    let stages = scoped(
        conn,
        "SELECT COALESCE(NULLIF(lifecycle_stage, ''), 'unknown') AS name, COUNT(*)::bigint AS customers, \
                0::bigint AS value FROM scoped GROUP BY 1 ORDER BY 1",
        merchant,
        today,
    )?;
    let rfm = diesel::sql_query(RFM)
        .bind::<Nullable<SqlUuid>, _>(merchant)
        .bind::<Date, _>(today)
        .load(conn)?;
    Ok(SegmentRows {
        tiers,
        deciles,
        stages,
        rfm,
    })
}

/// A customer at risk: id, merchant (nil: none), value tier and lifecycle stage (empty:
/// unknown), baseline monthly shipments, shipments in the last 30 days, drop ratio, detected
/// at, last shipment at.
pub type RiskRow = (
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
) -> QueryResult<Vec<RiskRow>> {
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
    q.order((cu::churn_detected_at.desc(), cu::customer_id.desc()))
        .limit(limit + 1)
        .load(conn)
}
