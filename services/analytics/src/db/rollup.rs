//! `kpi_rollup`: counters by 15-minute bucket and dimensions, with their slices by hour
//! (`kpi_hourly`) and by whole local day at fixed UTC offsets (`kpi_days`), incremented by
//! events and summed per local period by queries. Writes are one set-based upsert per table
//! and event batch; reads aggregate pre-aggregated rows only, the fewest that are exact.

use chrono::NaiveDate;
use diesel::pg::Pg;
use diesel::prelude::*;
use diesel::query_builder::BoxedSqlQuery;
use diesel::sql_types::{BigInt, Date, Integer, Jsonb, Nullable, Text, Uuid as SqlUuid};
use kuaidi_shared::db::statement;
use std::collections::BTreeMap;
use std::sync::LazyLock;

use crate::domain::facts::{Counters, Fact, COUNTERS};
use crate::domain::plan::{Piece, Slice, Source, DAY_OFFSETS};
use crate::domain::query::KpiRequest;

const KEY: &str =
    "bucket, city, province, hub, service_level, value_tier, merchant_id, category, handler_id";

/// The counters summed (`SUM(c)::bigint, ...`) and, for the upsert into `table`, added to what
/// it holds (`c = table.c + EXCLUDED.c, ...`).
fn sums_and_set(table: &str) -> (String, String) {
    let sums = COUNTERS
        .iter()
        .map(|c| format!("SUM({c})::bigint"))
        .collect::<Vec<_>>()
        .join(", ");
    let set = COUNTERS
        .iter()
        .map(|c| format!("{c} = {table}.{c} + EXCLUDED.{c}"))
        .collect::<Vec<_>>()
        .join(", ");
    (sums, set)
}

/// One statement adding many facts: rows with the same key are summed first, then upserted.
static ADD: LazyLock<String> = LazyLock::new(|| {
    let (sums, set) = sums_and_set("kpi_rollup");
    format!(
        "INSERT INTO kpi_rollup ({KEY}, {cols}) \
         SELECT {KEY}, {sums} FROM jsonb_populate_recordset(NULL::kpi_rollup, $1) GROUP BY {KEY} \
         ON CONFLICT ({KEY}) DO UPDATE SET {set}",
        cols = COUNTERS.join(", ")
    )
});

/// The merchant id of the slices over all merchants.
pub const ALL_MERCHANTS: &str = "ffffffff-ffff-ffff-ffff-ffffffffffff";

/// One upsert adding the facts of `$1` to the slices of `table` (per merchant and over all
/// merchants, unfiltered and per value of each filter dimension) under the time key `keys`:
/// its columns and their expressions on the fact `r` (and what `join` adds).
fn add_to_slices(table: &str, keys: &[(&str, &str)], join: &str) -> String {
    let (sums, set) = sums_and_set(table);
    let cols = keys.iter().map(|k| k.0).collect::<Vec<_>>().join(", ");
    let exprs = keys.iter().map(|k| k.1).collect::<Vec<_>>().join(", ");
    let group = (1..=keys.len() + 3)
        .map(|i| i.to_string())
        .collect::<Vec<_>>()
        .join(", ");
    format!(
        "INSERT INTO {table} ({cols}, merchant_id, dim, value, {counters}) \
         SELECT {exprs}, v.m, d.dim, d.value, {sums} \
         FROM jsonb_populate_recordset(NULL::kpi_rollup, $1) AS r {join} \
         CROSS JOIN LATERAL (VALUES (r.merchant_id), ('{ALL_MERCHANTS}'::uuid)) AS v(m) \
         CROSS JOIN LATERAL (VALUES ('', ''), ('city', r.city), ('province', r.province), \
           ('service_level', r.service_level), ('value_tier', r.value_tier)) AS d(dim, value) \
         WHERE d.dim = '' OR d.value <> '' \
         GROUP BY {group} \
         ON CONFLICT (merchant_id, dim, value, {cols}) DO UPDATE SET {set}",
        counters = COUNTERS.join(", ")
    )
}

/// The facts added to the hourly slices.
static ADD_HOURLY: LazyLock<String> = LazyLock::new(|| {
    add_to_slices(
        "kpi_hourly",
        &[("hour", "date_trunc('hour', r.bucket)")],
        "",
    )
});

/// The facts added to the day slices: the local day of each offset of [`DAY_OFFSETS`].
static ADD_DAYS: LazyLock<String> = LazyLock::new(|| {
    let offsets = DAY_OFFSETS
        .iter()
        .map(|o| format!("({o})"))
        .collect::<Vec<_>>()
        .join(", ");
    add_to_slices(
        "kpi_days",
        &[
            ("utc_offset", "o.m"),
            (
                "day",
                "((r.bucket AT TIME ZONE 'UTC') + o.m * interval '1 minute')::date",
            ),
        ],
        &format!("CROSS JOIN (VALUES {offsets}) AS o(m)"),
    )
});

/// The transaction-scoped advisory lock every writer of the rollups holds: a consumer's
/// transaction adds a whole run of facts — hundreds of rows, every one of them beside the
/// all-merchants row of its hour and day — and may add twice (two runs), so two replicas
/// adding at once would lock shared rows in opposite orders and deadlock. Under this lock they
/// take turns, each for the rest of its transaction.
const WRITERS: i64 = 0x6b64_726f_6c6c_7570; // "kdrollup"

/// Takes the lock of the writers of the rollups ([`WRITERS`]) for the rest of the transaction
/// (again, when held already). Whoever reads and changes a case takes it first.
pub fn lock_writers(conn: &mut PgConnection) -> QueryResult<()> {
    statement("SELECT pg_advisory_xact_lock($1)")
        .bind::<BigInt, _>(WRITERS)
        .execute(conn)
        .map(drop)
}

/// Adds `facts` to the rollups, the hourly and the day slices (one upsert each; concurrent
/// consumers never lose an increment, and take turns: [`WRITERS`]).
pub fn add(conn: &mut PgConnection, facts: &[Fact]) -> anyhow::Result<()> {
    if facts.is_empty() {
        return Ok(());
    }
    lock_writers(conn)?;
    let json = serde_json::to_value(facts)?;
    statement(ADD.as_str())
        .bind::<Jsonb, _>(&json)
        .execute(conn)?;
    for slices in [&ADD_HOURLY, &ADD_DAYS] {
        statement(slices.as_str())
            .bind::<Jsonb, _>(&json)
            .execute(conn)?;
    }
    Ok(())
}

/// Adds to the 15-minute rows only facts that sum to zero in every slice: pairs that move
/// counts between values of the dimensions the slices do not have (a case's handler, its
/// category), at the same time and under the same other dimensions.
pub fn shift(conn: &mut PgConnection, facts: &[Fact]) -> anyhow::Result<()> {
    if facts.is_empty() {
        return Ok(());
    }
    lock_writers(conn)?;
    statement(ADD.as_str())
        .bind::<Jsonb, _>(&serde_json::to_value(facts)?)
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
/// first local day; PostgreSQL's `date_trunc('week')` starts on Monday) over the pieces of
/// its [plan](KpiRequest::plan). Periods without rows are absent.
pub fn period_sums(
    conn: &mut PgConnection,
    request: &KpiRequest,
) -> anyhow::Result<BTreeMap<NaiveDate, Counters>> {
    let mut sums: BTreeMap<NaiveDate, Counters> = BTreeMap::new();
    for piece in request.plan() {
        let rows = match &piece.source {
            Source::Days { utc_offset, slice } => {
                day_sums(conn, request, &piece, *utc_offset, slice)?
            }
            Source::Hours(slice) => hour_sums(conn, request, &piece, slice)?,
            Source::Quarters => quarter_sums(conn, request, &piece)?,
        };
        for r in rows {
            *sums.entry(r.period_start).or_default() += serde_json::from_value(r.counters)?;
        }
    }
    Ok(sums)
}

/// A run of whole local days at a fixed UTC offset from `kpi_days`.
fn day_sums(
    conn: &mut PgConnection,
    request: &KpiRequest,
    piece: &Piece,
    utc_offset: i32,
    slice: &Slice,
) -> QueryResult<Vec<PeriodSums>> {
    diesel::sql_query(format!(
        "SELECT date_trunc($1, day::timestamp)::date AS period_start, {} AS counters \
         FROM kpi_days \
         WHERE merchant_id = COALESCE($2::uuid, '{ALL_MERCHANTS}'::uuid) \
           AND dim = $3 AND value = $4 AND utc_offset = $5 AND day BETWEEN $6 AND $7 \
         GROUP BY 1",
        summed_counters()
    ))
    .bind::<Text, _>(request.range.granularity.as_str())
    .bind::<Nullable<SqlUuid>, _>(request.filter.merchant_id)
    .bind::<Text, _>(slice.0)
    .bind::<Text, _>(&slice.1)
    .bind::<Integer, _>(utc_offset)
    .bind::<Date, _>(piece.first)
    .bind::<Date, _>(piece.last)
    .load(conn)
}

/// A run of local days from the hourly slice (the other filters are null or the slice's
/// own; they stay bound so the parameters are those of [`filtered`]).
fn hour_sums(
    conn: &mut PgConnection,
    request: &KpiRequest,
    piece: &Piece,
    slice: &Slice,
) -> QueryResult<Vec<PeriodSums>> {
    let sql = format!(
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
    );
    filtered(sql, request, piece.first, piece.last)
        .bind::<Text, _>(request.range.granularity.as_str())
        .bind::<Text, _>(slice.0)
        .bind::<Text, _>(slice.1.clone())
        .load(conn)
}

/// A run of local days from the 15-minute rows, any filters.
fn quarter_sums(
    conn: &mut PgConnection,
    request: &KpiRequest,
    piece: &Piece,
) -> QueryResult<Vec<PeriodSums>> {
    let sql = format!(
        "SELECT date_trunc($10, bucket AT TIME ZONE $1)::date AS period_start, {} AS counters \
         FROM kpi_rollup WHERE {FILTER} GROUP BY 1",
        summed_counters()
    );
    filtered(sql, request, piece.first, piece.last)
        .bind::<Text, _>(request.range.granularity.as_str())
        .load(conn)
}
