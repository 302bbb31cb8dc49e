//! `kpi_daily`: increments from events, sums by period for queries.

use chrono::NaiveDate;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Date, Nullable, Text, Uuid as SqlUuid};
use uuid::Uuid;

/// The dimensions of one rollup row.
#[derive(Debug, Clone, Default)]
pub struct Key {
    pub day: NaiveDate,
    pub merchant_id: Option<Uuid>,
    pub city: String,
    pub province: String,
    pub service_level: String,
    pub category: String,
}

/// Adds to the counters of one row.
pub fn add(conn: &mut PgConnection, key: &Key, shipments: i64, complaints: i64) -> QueryResult<()> {
    diesel::sql_query(
        "INSERT INTO kpi_daily (day, merchant_id, city, province, service_level, category, shipments, complaints) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
         ON CONFLICT (day, merchant_id, city, province, service_level, category) DO UPDATE SET \
           shipments = kpi_daily.shipments + EXCLUDED.shipments, \
           complaints = kpi_daily.complaints + EXCLUDED.complaints",
    )
    .bind::<Date, _>(key.day)
    .bind::<SqlUuid, _>(key.merchant_id.unwrap_or(Uuid::nil()))
    .bind::<Text, _>(&key.city)
    .bind::<Text, _>(&key.province)
    .bind::<Text, _>(&key.service_level)
    .bind::<Text, _>(&key.category)
    .bind::<BigInt, _>(shipments)
    .bind::<BigInt, _>(complaints)
    .execute(conn)
    .map(drop)
}

/// Filters of a KPI query.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub merchant_id: Option<Uuid>,
    pub city: Option<String>,
    pub province: Option<String>,
    pub service_level: Option<String>,
}

#[derive(Debug, QueryableByName, PartialEq)]
pub struct PeriodSums {
    #[diesel(sql_type = Date)]
    pub period_start: NaiveDate,
    #[diesel(sql_type = BigInt)]
    pub shipments: i64,
    #[diesel(sql_type = BigInt)]
    pub complaints: i64,
}

/// Sums per period (`day` | `week` | `month`; weeks start on Monday) between two days.
pub fn sums(
    conn: &mut PgConnection,
    granularity: &str,
    from: NaiveDate,
    to: NaiveDate,
    f: &Filter,
) -> QueryResult<Vec<PeriodSums>> {
    diesel::sql_query(
        "SELECT date_trunc($1, day::timestamp)::date AS period_start, \
                COALESCE(SUM(shipments), 0)::bigint AS shipments, \
                COALESCE(SUM(complaints), 0)::bigint AS complaints \
         FROM kpi_daily \
         WHERE day BETWEEN $2 AND $3 \
           AND ($4::uuid IS NULL OR merchant_id = $4) \
           AND ($5::text IS NULL OR city = $5) \
           AND ($6::text IS NULL OR province = $6) \
           AND ($7::text IS NULL OR service_level = $7) \
         GROUP BY 1 ORDER BY 1",
    )
    .bind::<Text, _>(granularity)
    .bind::<Date, _>(from)
    .bind::<Date, _>(to)
    .bind::<Nullable<SqlUuid>, _>(f.merchant_id)
    .bind::<Nullable<Text>, _>(f.city.as_deref())
    .bind::<Nullable<Text>, _>(f.province.as_deref())
    .bind::<Nullable<Text>, _>(f.service_level.as_deref())
    .load(conn)
}
