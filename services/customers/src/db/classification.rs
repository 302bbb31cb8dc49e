//! The classification run, set-based: one statement computes every live customer's 12-month
//! figures from the daily buckets (a merged customer's days counted for its survivor; a tier
//! set by hand is kept), ranks them with window functions (cumulative spend for
//! the Pareto tiers; for RFM the quintile, `kuaidi_quintile` of a shared migration, of the
//! middle of a group of equal values, so ties score alike — NTILE(5) where there are none),
//! derives the lifecycle stage and the churn warning, and updates only the rows that changed,
//! keeping them in a temporary table so the events (`events::classified`, built in SQL too,
//! batched by the table's `chunk`) and the retention tasks follow set-based.

use chrono::{DateTime, Utc};
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Date, Timestamptz, Uuid as SqlUuid};
use uuid::Uuid;

use kuaidi_shared::events::outbox::BATCH_EVENTS;

use crate::domain::classification::Thresholds;

/// The run's changes, for the events and rules that follow in the same transaction: one row
/// per customer whose tier or stage changed, dropped at commit.
const CHANGES_TABLE: &str = "
DROP TABLE IF EXISTS pg_temp.classification_changes;
CREATE TEMP TABLE classification_changes (
  id         uuid NOT NULL,
  owner_id   uuid,
  merchant_id uuid,
  old_tier   text NOT NULL,
  tier       text NOT NULL,
  old_stage  text NOT NULL,
  stage      text NOT NULL,
  spend      bigint NOT NULL,
  s30        bigint NOT NULL,
  s90        bigint NOT NULL,
  -- The batch of events the customer's changes go in (`events::classified`).
  chunk      int NOT NULL
) ON COMMIT DROP";

/// The run's memory: it hashes a year of daily buckets and sorts every customer three times
/// (the ranks); with PostgreSQL's default 4 MB those spill to disk and are read back again and
/// again (46 GB of temporary reads over 1 M customers). A statement run once an hour is not
/// worth compiling (JIT). For the caller's transaction only.
const RUN_SETTINGS: &str = "SET LOCAL work_mem = '256MB'; SET LOCAL jit = off";

/// Indexes the run's changes by batch, for the events that follow.
const CHANGES_INDEXED: &str = "
CREATE INDEX ON pg_temp.classification_changes (chunk);
ANALYZE pg_temp.classification_changes";

#[derive(QueryableByName)]
struct Warned {
    #[diesel(sql_type = SqlUuid)]
    id: Uuid,
}

const CLASSIFY: &str = "
WITH merged AS (
  SELECT id, merged_into FROM customers WHERE merged_into IS NOT NULL
),
-- Each customer's figures, a merged customer's days counted for its survivor: one pass over
-- the buckets, grouped once.
act AS (
  SELECT COALESCE(m.merged_into, d.customer_id) AS cid,
         COALESCE(SUM(d.spend_minor) FILTER (WHERE d.day > $1::date - 365), 0)::bigint AS spend,
         COALESCE(SUM(d.shipments) FILTER (WHERE d.day > $1::date - 365), 0)::bigint AS freq,
         COALESCE(SUM(d.shipments) FILTER (WHERE d.day > $1::date - 30), 0)::bigint AS s30,
         COALESCE(SUM(d.shipments) FILTER (WHERE d.day > $1::date - 90), 0)::bigint AS s90,
         COALESCE(SUM(d.shipments) FILTER (WHERE d.day > $1::date - $4::int), 0)::bigint AS sl,
         MAX(d.last_shipment_at) AS last_at,
         MIN(d.day) AS first_day
  FROM customer_shipment_days d LEFT JOIN merged m ON m.id = d.customer_id
  WHERE d.day <= $1::date
  GROUP BY 1
),
base AS (
  SELECT c.id, c.value_tier AS old_tier, c.value_tier_manual AS manual,
         c.lifecycle_stage AS old_stage,
         c.rfm_r AS old_r, c.rfm_f AS old_f, c.rfm_m AS old_m,
         COALESCE(a.spend, 0) AS spend, COALESCE(a.freq, 0) AS freq,
         COALESCE(a.s30, 0) AS s30, COALESCE(a.s90, 0) AS s90, COALESCE(a.sl, 0) AS sl,
         a.last_at, a.first_day, (a.last_at AT TIME ZONE 'UTC')::date AS last_day
  FROM customers c LEFT JOIN act a ON a.cid = c.id
  WHERE c.merged_into IS NULL AND c.erased_at IS NULL
),
-- The Pareto rank: the spend ranked before a customer (highest first) is what comes after
-- them in ascending order. Customers without a shipment spend nothing, so ranking within the
-- partition changes no one's tier. RFM: each customer's middle position among those with the
-- same value (recency by the day of the last shipment: days since it) — halfway between its
-- group's first position (RANK) and last (the count up to its peers) —, its quintile below.
ranked AS (
  SELECT b.*,
    SUM(spend) OVER (PARTITION BY last_at IS NULL)
      - SUM(spend) OVER (by_spend ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)
      AS cum_before,
    SUM(spend) OVER () AS total,
    COUNT(*) OVER (PARTITION BY last_at IS NULL) AS n,
    (RANK() OVER by_day + COUNT(*) OVER by_day) / 2 AS r_pos,
    (RANK() OVER by_freq + COUNT(*) OVER by_freq) / 2 AS f_pos,
    (RANK() OVER by_amount + COUNT(*) OVER by_amount) / 2 AS m_pos
  FROM base b
  WINDOW by_spend AS (PARTITION BY last_at IS NULL ORDER BY spend, id),
    by_day AS (PARTITION BY last_at IS NULL ORDER BY last_day),
    by_freq AS (PARTITION BY last_at IS NULL ORDER BY freq),
    by_amount AS (PARTITION BY last_at IS NULL ORDER BY spend)
),
computed AS (
  SELECT id, old_tier, old_stage, old_r, old_f, old_m, spend, s30, s90,
    CASE WHEN manual THEN old_tier
         WHEN spend <= 0 OR total <= 0 THEN 'small'
         WHEN cum_before * 100 < $5::bigint * total THEN 'key'
         WHEN cum_before * 100 < $6::bigint * total THEN 'ordinary'
         ELSE 'small' END AS tier,
    CASE WHEN last_at IS NULL THEN 'prospect'
         WHEN last_at <= $2::timestamptz - make_interval(days => $7::int) THEN 'churned'
         WHEN s90 >= $8::bigint AND s30 * 300 < $9::bigint * s90 THEN 'at_risk'
         WHEN sl >= $3::bigint THEN 'loyal'
         WHEN first_day > $1::date - $10::int THEN 'new'
         ELSE 'active' END AS stage,
    CASE WHEN last_at IS NULL THEN NULL ELSE kuaidi_quintile(r_pos, n)::smallint END AS r,
    CASE WHEN last_at IS NULL THEN NULL ELSE kuaidi_quintile(f_pos, n)::smallint END AS f,
    CASE WHEN last_at IS NULL THEN NULL ELSE kuaidi_quintile(m_pos, n)::smallint END AS m
  FROM ranked
),
-- Only the rows that change are joined back for the update (by primary key): a run that
-- changes nothing reads the customers once.
changes AS (
  SELECT * FROM computed x
  WHERE x.old_tier IS DISTINCT FROM x.tier OR x.old_stage IS DISTINCT FROM x.stage
     OR x.old_r IS DISTINCT FROM x.r OR x.old_f IS DISTINCT FROM x.f
     OR x.old_m IS DISTINCT FROM x.m
),
upd AS (
  UPDATE customers c SET value_tier = x.tier, lifecycle_stage = x.stage,
         rfm_r = x.r, rfm_f = x.f, rfm_m = x.m, rfm_score = x.r + x.f + x.m
  FROM changes x
  WHERE c.id = x.id
  RETURNING c.id, c.owner_id, c.merchant_id, x.old_tier, x.tier, x.old_stage, x.stage,
            x.spend, x.s30, x.s90
)
INSERT INTO classification_changes
SELECT u.*, (row_number() OVER () - 1) / $11::int
FROM upd u WHERE u.old_tier <> u.tier OR u.old_stage <> u.stage";

/// Classifies every live customer as of `now` in the caller's transaction; the customers whose
/// tier or stage changed are left in `classification_changes` until commit. Returns how many.
pub fn classify(conn: &mut PgConnection, now: DateTime<Utc>, t: &Thresholds) -> QueryResult<usize> {
    conn.batch_execute(RUN_SETTINGS)?;
    conn.batch_execute(CHANGES_TABLE)?;
    let changed = diesel::sql_query(CLASSIFY)
        .bind::<Date, _>(now.date_naive())
        .bind::<Timestamptz, _>(now)
        .bind::<BigInt, _>(t.loyal_shipments)
        .bind::<diesel::sql_types::Integer, _>(t.loyal_days as i32)
        .bind::<BigInt, _>(t.key_pct)
        .bind::<BigInt, _>(t.ordinary_pct)
        .bind::<diesel::sql_types::Integer, _>(t.churn_days as i32)
        .bind::<BigInt, _>(t.baseline_shipments)
        .bind::<BigInt, _>(t.drop_pct)
        .bind::<diesel::sql_types::Integer, _>(t.new_days as i32)
        .bind::<diesel::sql_types::Integer, _>(BATCH_EVENTS as i32)
        .execute(conn)?;
    if changed > 0 {
        conn.batch_execute(CHANGES_INDEXED)?;
    }
    Ok(changed)
}

/// The customers of this run's changes who just got the churn warning.
pub fn warned(conn: &mut PgConnection) -> QueryResult<Vec<Uuid>> {
    let rows: Vec<Warned> = diesel::sql_query(
        "SELECT id FROM classification_changes \
         WHERE stage = 'at_risk' AND old_stage <> stage",
    )
    .load(conn)?;
    Ok(rows.into_iter().map(|w| w.id).collect())
}
