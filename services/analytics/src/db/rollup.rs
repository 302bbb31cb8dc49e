//! `kpi_rollup`: counters by 15-minute bucket and dimensions, incremented by events and summed
//! per local period by queries. Writes are one set-based upsert per event; reads aggregate
//! pre-aggregated rows only.

use chrono::NaiveDate;
use diesel::pg::Pg;
use diesel::prelude::*;
use diesel::query_builder::BoxedSqlQuery;
use diesel::sql_types::{Date, Jsonb, Nullable, Text, Uuid as SqlUuid};
use std::collections::BTreeMap;
use std::sync::LazyLock;

use crate::domain::facts::{Counters, Fact, COUNTERS};
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

/// The same facts added to the hourly slices: per merchant and over all merchants, unfiltered
/// and per value of each filter dimension.
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
        "INSERT INTO kpi_hourly (hour, merchant_id, dim, value, {cols}) \
         SELECT date_trunc('hour', r.bucket), v.m, d.dim, d.value, {sums} \
         FROM jsonb_populate_recordset(NULL::kpi_rollup, $1) AS r \
         CROSS JOIN LATERAL (VALUES (r.merchant_id), ('{ALL_MERCHANTS}'::uuid)) AS v(m) \
         CROSS JOIN LATERAL (VALUES ('', ''), ('city', r.city), ('province', r.province), \
           ('service_level', r.service_level), ('value_tier', r.value_tier)) AS d(dim, value) \
         WHERE d.dim = '' OR d.value <> '' \
         GROUP BY 1, 2, 3, 4 \
         ON CONFLICT (merchant_id, dim, value, hour) DO UPDATE SET {set}",
        cols = COUNTERS.join(", ")
    )
});

/// Adds `facts` to the rollups and the hourly slices (one upsert each; concurrent consumers
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
    let (sql, slice) = match request.hourly_slice() {
        // The other filters are null or the slice's own; they stay bound so the parameters
        // are the same.
        Some(slice) => (
            format!(
                "SELECT date_trunc($10, hour AT TIME ZONE $1)::date AS period_start, {} AS counters \
                 FROM kpi_hourly \
                 WHERE merchant_id = COALESCE($4::uuid, '{ALL_MERCHANTS}'::uuid) \
                   AND dim = $11 AND value = $12 \
                   AND hour >= ($2::date::timestamp AT TIME ZONE $1) \
                   AND hour < (($3::date + 1)::timestamp AT TIME ZONE $1) \
                   AND ($5::text IS NULL OR $11 = 'city') \
                   AND ($6::text IS NULL OR $11 = 'province') \
                   AND ($7::text IS NULL OR $11 = 'service_level') \
                   AND ($8::text IS NULL OR $11 = 'value_tier') AND $9::uuid IS NULL \
                 GROUP BY 1",
                summed_counters()
            ),
            slice,
        ),
        None => (
            format!(
                "SELECT date_trunc($10, bucket AT TIME ZONE $1)::date AS period_start, {} AS counters \
                 FROM kpi_rollup WHERE {FILTER} AND $11::text IS NOT NULL AND $12::text IS NOT NULL \
                 GROUP BY 1",
                summed_counters()
            ),
            ("", String::new()),
        ),
    };
    let rows: Vec<PeriodSums> = filtered(sql, request, first, last)
        .bind::<Text, _>(request.range.granularity.as_str())
        .bind::<Text, _>(slice.0)
        .bind::<Text, _>(slice.1)
        .load(conn)?;
    rows.into_iter()
        .map(|r| Ok((r.period_start, serde_json::from_value(r.counters)?)))
        .collect()
}
