//! `kpi_daily`: counters incremented by events, summed per period by queries. A new KPI
//! counter is a new column (`DEFAULT 0`), a new field of [`Counts`] and one more term in
//! [`add`] and [`sums`]; existing rows and queries stay valid.

use chrono::NaiveDate;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Date, Nullable, Text, Uuid as SqlUuid};
use diesel::upsert::excluded;
use std::collections::BTreeMap;
use uuid::Uuid;

use super::schema::kpi_daily;
use crate::domain::periods::Granularity;
use crate::domain::query::KpiFilter;
use crate::domain::report::Counts;

/// The dimensions of one rollup row; `None` and `""` mean "not known" (stored as the nil UUID
/// and `''`, so the key can be a primary key).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Key {
    /// UTC calendar day.
    pub day: NaiveDate,
    pub merchant_id: Option<Uuid>,
    pub city: String,
    pub province: String,
    pub service_level: String,
    pub category: String,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = kpi_daily)]
struct NewKpiDaily<'a> {
    day: NaiveDate,
    merchant_id: Uuid,
    city: &'a str,
    province: &'a str,
    service_level: &'a str,
    category: &'a str,
    shipments: i64,
    complaints: i64,
}

/// Adds `counts` to the row of `key`, creating it when missing (one statement, so concurrent
/// consumers never lose an increment).
pub fn add(conn: &mut PgConnection, key: &Key, counts: Counts) -> QueryResult<()> {
    use kpi_daily::dsl as k;
    diesel::insert_into(kpi_daily::table)
        .values(NewKpiDaily {
            day: key.day,
            merchant_id: key.merchant_id.unwrap_or(Uuid::nil()),
            city: &key.city,
            province: &key.province,
            service_level: &key.service_level,
            category: &key.category,
            shipments: counts.shipments,
            complaints: counts.complaints,
        })
        .on_conflict((
            k::day,
            k::merchant_id,
            k::city,
            k::province,
            k::service_level,
            k::category,
        ))
        .do_update()
        .set((
            k::shipments.eq(k::shipments + excluded(k::shipments)),
            k::complaints.eq(k::complaints + excluded(k::complaints)),
        ))
        .execute(conn)
        .map(drop)
}

#[derive(Debug, QueryableByName)]
struct PeriodSums {
    #[diesel(sql_type = Date)]
    period_start: NaiveDate,
    #[diesel(sql_type = BigInt)]
    shipments: i64,
    #[diesel(sql_type = BigInt)]
    complaints: i64,
}

/// The counters of `first..=last` matching `filter`, summed per period (keyed by the period's
/// first day; PostgreSQL's `date_trunc('week')` starts on Monday). Periods without rows are
/// absent.
pub fn sums(
    conn: &mut PgConnection,
    granularity: Granularity,
    first: NaiveDate,
    last: NaiveDate,
    filter: &KpiFilter,
) -> QueryResult<BTreeMap<NaiveDate, Counts>> {
    let rows: Vec<PeriodSums> = diesel::sql_query(
        "SELECT date_trunc($1, day::timestamp)::date AS period_start, \
                SUM(shipments)::bigint AS shipments, \
                SUM(complaints)::bigint AS complaints \
         FROM kpi_daily \
         WHERE day BETWEEN $2 AND $3 \
           AND ($4::uuid IS NULL OR merchant_id = $4) \
           AND ($5::text IS NULL OR city = $5) \
           AND ($6::text IS NULL OR province = $6) \
           AND ($7::text IS NULL OR service_level = $7) \
         GROUP BY 1",
    )
    .bind::<Text, _>(granularity.as_str())
    .bind::<Date, _>(first)
    .bind::<Date, _>(last)
    .bind::<Nullable<SqlUuid>, _>(filter.merchant_id)
    .bind::<Nullable<Text>, _>(filter.city.as_deref())
    .bind::<Nullable<Text>, _>(filter.province.as_deref())
    .bind::<Nullable<Text>, _>(filter.service_level.as_deref())
    .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|r| {
            let counts = Counts {
                shipments: r.shipments,
                complaints: r.complaints,
            };
            (r.period_start, counts)
        })
        .collect())
}
