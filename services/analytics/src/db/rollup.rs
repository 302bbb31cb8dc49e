//! `kpi_rollup`: counters by 15-minute bucket and dimensions, incremented by events and summed
//! per local period by queries. Writes are one set-based upsert per event; reads aggregate
//! pre-aggregated rows only.

use chrono::NaiveDate;
use diesel::pg::Pg;
use diesel::prelude::*;
use diesel::query_builder::BoxedSqlQuery;
use diesel::sql_types::{BigInt, Date, Jsonb, Nullable, Text, Uuid as SqlUuid};
use std::collections::BTreeMap;
use std::sync::LazyLock;

use crate::domain::facts::{Counters, Fact, COUNTERS};
use crate::domain::kpi::CustomerFigures;
use crate::domain::query::KpiRequest;

const KEY: &str =
    "bucket, city, province, hub, service_level, value_tier, merchant_id, category, handler_id";

/// One statement adding many facts: rows with the same key are summed first, then upserted.
static ADD: LazyLock<String> = LazyLock::new(|| {
    let sums = COUNTERS
        .iter()
        .map(|c| format!("SUM({c})::bigint"))
        .collect::<Vec<_>>()
        .join(", ");
    let set = COUNTERS
        .iter()
        .map(|c| format!("{c} = kpi_rollup.{c} + EXCLUDED.{c}"))
        .collect::<Vec<_>>()
        .join(", ");
    format!(
        "INSERT INTO kpi_rollup ({KEY}, {cols}) \
         SELECT {KEY}, {sums} FROM jsonb_populate_recordset(NULL::kpi_rollup, $1) GROUP BY {KEY} \
         ON CONFLICT ({KEY}) DO UPDATE SET {set}",
        cols = COUNTERS.join(", ")
    )
});

/// The merchant id of the hourly rows over all merchants.
pub const ALL_MERCHANTS: &str = "ffffffff-ffff-ffff-ffff-ffffffffffff";

/// The same facts added to the hourly totals, per merchant and over all merchants.
static ADD_HOURLY: LazyLock<String> = LazyLock::new(|| {
    let sums = COUNTERS
        .iter()
        .map(|c| format!("SUM({c})::bigint"))
        .collect::<Vec<_>>()
        .join(", ");
    let set = COUNTERS
        .iter()
        .map(|c| format!("{c} = kpi_hourly.{c} + EXCLUDED.{c}"))
        .collect::<Vec<_>>()
        .join(", ");
    format!(
        "INSERT INTO kpi_hourly (hour, merchant_id, {cols}) \
         SELECT date_trunc('hour', r.bucket), v.m, {sums} \
         FROM jsonb_populate_recordset(NULL::kpi_rollup, $1) AS r \
         CROSS JOIN LATERAL (VALUES (r.merchant_id), ('{ALL_MERCHANTS}'::uuid)) AS v(m) \
         GROUP BY 1, 2 \
         ON CONFLICT (merchant_id, hour) DO UPDATE SET {set}",
        cols = COUNTERS.join(", ")
    )
});

/// Adds `facts` to the rollups and the hourly totals (one upsert each; concurrent consumers
/// never lose an increment).
pub fn add(conn: &mut PgConnection, facts: &[Fact]) -> anyhow::Result<()> {
    if facts.is_empty() {
        return Ok(());
    }
    let json = serde_json::to_value(facts)?;
    diesel::sql_query(ADD.as_str())
        .bind::<Jsonb, _>(&json)
        .execute(conn)?;
    diesel::sql_query(ADD_HOURLY.as_str())
        .bind::<Jsonb, _>(&json)
        .execute(conn)?;
    Ok(())
}

/// The `WHERE` of every report on `kpi_rollup`: `$1` zone, `$2..=$3` local days, `$4..=$9`
/// filters. Bind them with [`filtered`].
pub const FILTER: &str = "bucket >= ($2::date::timestamp AT TIME ZONE $1) \
    AND bucket < (($3::date + 1)::timestamp AT TIME ZONE $1) \
    AND ($4::uuid IS NULL OR merchant_id = $4) \
    AND ($5::text IS NULL OR city = $5) \
    AND ($6::text IS NULL OR province = $6) \
    AND ($7::text IS NULL OR service_level = $7) \
    AND ($8::text IS NULL OR value_tier = $8) \
    AND ($9::uuid IS NULL OR handler_id = $9)";

/// `sql` with the zone, the local days `first..=last` and the request's filters bound as
/// `$1..=$9`; further parameters start at `$10`.
pub fn filtered(
    sql: String,
    request: &KpiRequest,
    first: NaiveDate,
    last: NaiveDate,
) -> BoxedSqlQuery<'static, Pg, diesel::query_builder::SqlQuery> {
    let f = request.filter.clone();
    diesel::sql_query(sql)
        .into_boxed()
        .bind::<Text, _>(request.tz.name().to_owned())
        .bind::<Date, _>(first)
        .bind::<Date, _>(last)
        .bind::<Nullable<SqlUuid>, _>(f.merchant_id)
        .bind::<Nullable<Text>, _>(f.city)
        .bind::<Nullable<Text>, _>(f.province)
        .bind::<Nullable<Text>, _>(f.service_level)
        .bind::<Nullable<Text>, _>(f.value_tier)
        .bind::<Nullable<SqlUuid>, _>(f.handler_id)
}

/// `json_build_object('c', SUM(c), ...)` of every counter.
pub fn summed_counters() -> String {
    let pairs = COUNTERS
        .iter()
        .map(|c| format!("'{c}', SUM({c})::bigint"))
        .collect::<Vec<_>>()
        .join(", ");
    format!("jsonb_build_object({pairs})")
}

#[derive(QueryableByName)]
struct PeriodSums {
    #[diesel(sql_type = Date)]
    period_start: NaiveDate,
    #[diesel(sql_type = Jsonb)]
    counters: serde_json::Value,
}

/// The counters of the request's whole periods, summed per period (keyed by the period's
/// first local day; PostgreSQL's `date_trunc('week')` starts on Monday). Periods without rows
/// are absent.
pub fn period_sums(
    conn: &mut PgConnection,
    request: &KpiRequest,
) -> anyhow::Result<BTreeMap<NaiveDate, Counters>> {
    let (first, last) = request.range.days();
    let sql = if request.reads_hourly_totals() {
        // Every other filter is null here; they stay bound so the parameters are the same.
        format!(
            "SELECT date_trunc($10, hour AT TIME ZONE $1)::date AS period_start, {} AS counters \
             FROM kpi_hourly \
             WHERE hour >= ($2::date::timestamp AT TIME ZONE $1) \
               AND hour < (($3::date + 1)::timestamp AT TIME ZONE $1) \
               AND merchant_id = COALESCE($4::uuid, '{ALL_MERCHANTS}'::uuid) \
               AND $5::text IS NULL AND $6::text IS NULL AND $7::text IS NULL \
               AND $8::text IS NULL AND $9::uuid IS NULL \
             GROUP BY 1",
            summed_counters()
        )
    } else {
        format!(
            "SELECT date_trunc($10, bucket AT TIME ZONE $1)::date AS period_start, {} AS counters \
             FROM kpi_rollup WHERE {FILTER} GROUP BY 1",
            summed_counters()
        )
    };
    let rows: Vec<PeriodSums> = filtered(sql, request, first, last)
        .bind::<Text, _>(request.range.granularity.as_str())
        .load(conn)?;
    rows.into_iter()
        .map(|r| Ok((r.period_start, serde_json::from_value(r.counters)?)))
        .collect()
}

#[derive(QueryableByName)]
struct Active {
    #[diesel(sql_type = Date)]
    period_start: NaiveDate,
    #[diesel(sql_type = BigInt)]
    active: i64,
    #[diesel(sql_type = BigInt)]
    repeaters: i64,
    #[diesel(sql_type = BigInt)]
    retained: i64,
}

/// Distinct active customers per period, from `customer_activity` (one period before the
/// range is read too, for retention). Agents' own figures have no customers.
pub fn customer_figures(
    conn: &mut PgConnection,
    request: &KpiRequest,
) -> anyhow::Result<BTreeMap<NaiveDate, CustomerFigures>> {
    let g = request.range.granularity;
    let (first, last) = request.range.days();
    let before = g.start_of(first.pred_opt().unwrap_or(first));
    let sql = format!(
        "WITH act AS ( \
           SELECT date_trunc($10, bucket AT TIME ZONE $1) AS p, customer_id, SUM(shipments) AS n \
           FROM customer_activity WHERE {} AND $9::uuid IS NULL GROUP BY 1, 2) \
         SELECT a.p::date AS period_start, COUNT(*)::bigint AS active, \
                COUNT(*) FILTER (WHERE a.n >= 2)::bigint AS repeaters, \
                COUNT(b.customer_id)::bigint AS retained \
         FROM act a LEFT JOIN act b \
           ON b.customer_id = a.customer_id AND b.p = a.p - ('1 ' || $10)::interval \
         GROUP BY a.p",
        FILTER.replace(" AND ($9::uuid IS NULL OR handler_id = $9)", "")
    );
    let rows: Vec<Active> = filtered(sql, request, before, last)
        .bind::<Text, _>(g.as_str())
        .load(conn)?;
    let active: BTreeMap<NaiveDate, Active> =
        rows.into_iter().map(|r| (r.period_start, r)).collect();
    Ok(request
        .range
        .periods()
        .into_iter()
        .map(|p| {
            let previous = g.start_of(p.start.pred_opt().unwrap_or(p.start));
            let this = active.get(&p.start);
            let figures = CustomerFigures {
                active: this.map_or(0, |a| a.active),
                repeaters: this.map_or(0, |a| a.repeaters),
                retained: this.map_or(0, |a| a.retained),
                previous_active: active.get(&previous).map_or(0, |a| a.active),
            };
            (p.start, figures)
        })
        .collect())
}
