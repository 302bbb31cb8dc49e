//! Shipping and complaint activity per customer, kept from events, and the stats windows over
//! it.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use diesel::prelude::*;
use diesel::sql_types::{
    Array, BigInt, Date, Double, Integer, Nullable, SmallInt, Text, Timestamptz, Uuid as SqlUuid,
};
use kuaidi_shared::db::statement;
use kuaidi_shared::money::Money;
use uuid::Uuid;

use crate::domain::classification::{Activity, Thresholds};
use crate::domain::enums::Stage;

/// Adds one shipment worth `spend_minor` on `at`'s UTC day.
pub fn record_shipment(
    conn: &mut PgConnection,
    customer_id: Uuid,
    at: DateTime<Utc>,
    currency: &str,
    spend_minor: i64,
) -> QueryResult<()> {
    statement(
        "INSERT INTO customer_shipment_days (customer_id, day, currency, shipments, spend_minor, last_shipment_at) \
         VALUES ($1, $2, $3, 1, $4, $5) \
         ON CONFLICT (customer_id, day, currency) DO UPDATE SET \
           shipments = customer_shipment_days.shipments + 1, \
           spend_minor = customer_shipment_days.spend_minor + EXCLUDED.spend_minor, \
           last_shipment_at = GREATEST(customer_shipment_days.last_shipment_at, EXCLUDED.last_shipment_at)",
    )
    .bind::<SqlUuid, _>(customer_id)
    .bind::<Date, _>(at.date_naive())
    .bind::<Text, _>(currency)
    .bind::<BigInt, _>(spend_minor)
    .bind::<Timestamptz, _>(at)
    .execute(conn)
    .map(drop)
}

/// Records a complaint about a customer (idempotent by complaint id).
pub fn record_complaint(
    conn: &mut PgConnection,
    complaint_id: Uuid,
    customer_id: Uuid,
    received_at: DateTime<Utc>,
) -> QueryResult<()> {
    statement(
        "INSERT INTO customer_complaints (complaint_id, customer_id, received_at) VALUES ($1, $2, $3) \
         ON CONFLICT (complaint_id) DO NOTHING",
    )
    .bind::<SqlUuid, _>(complaint_id)
    .bind::<SqlUuid, _>(customer_id)
    .bind::<Timestamptz, _>(received_at)
    .execute(conn)
    .map(drop)
}

/// Marks a complaint about a customer closed (recorded first when the `received` event has
/// not arrived yet: events may come in any order).
pub fn close_complaint(
    conn: &mut PgConnection,
    complaint_id: Uuid,
    customer_id: Uuid,
    received_at: DateTime<Utc>,
    closed_at: DateTime<Utc>,
) -> QueryResult<()> {
    statement(
        "INSERT INTO customer_complaints (complaint_id, customer_id, received_at, is_open, closed_at) \
         VALUES ($1, $2, $3, FALSE, $4) \
         ON CONFLICT (complaint_id) DO UPDATE SET is_open = FALSE, closed_at = EXCLUDED.closed_at",
    )
    .bind::<SqlUuid, _>(complaint_id)
    .bind::<SqlUuid, _>(customer_id)
    .bind::<Timestamptz, _>(received_at)
    .bind::<Timestamptz, _>(closed_at)
    .execute(conn)
    .map(drop)
}

/// Marks a complaint open again.
pub fn reopen_complaint(conn: &mut PgConnection, complaint_id: Uuid) -> QueryResult<()> {
    statement(
        "UPDATE customer_complaints SET is_open = TRUE, closed_at = NULL WHERE complaint_id = $1",
    )
    .bind::<SqlUuid, _>(complaint_id)
    .execute(conn)
    .map(drop)
}

/// Counts one delivery (on time or not) on `at`'s UTC day.
pub fn record_delivery(
    conn: &mut PgConnection,
    customer_id: Uuid,
    at: DateTime<Utc>,
    on_time: bool,
) -> QueryResult<()> {
    statement(
        "INSERT INTO customer_delivery_days (customer_id, day, delivered, on_time) \
         VALUES ($1, $2, 1, $3) \
         ON CONFLICT (customer_id, day) DO UPDATE SET \
           delivered = customer_delivery_days.delivered + 1, \
           on_time = customer_delivery_days.on_time + EXCLUDED.on_time",
    )
    .bind::<SqlUuid, _>(customer_id)
    .bind::<Date, _>(at.date_naive())
    .bind::<Integer, _>(i32::from(on_time))
    .execute(conn)
    .map(drop)
}

/// Records a survey answer about a customer's case (idempotent by survey id).
pub fn record_survey(
    conn: &mut PgConnection,
    survey_id: Uuid,
    customer_id: Uuid,
    overall: i16,
    at: DateTime<Utc>,
) -> QueryResult<()> {
    statement(
        "INSERT INTO customer_surveys (survey_id, customer_id, overall, submitted_at) \
         VALUES ($1, $2, $3, $4) ON CONFLICT (survey_id) DO NOTHING",
    )
    .bind::<SqlUuid, _>(survey_id)
    .bind::<SqlUuid, _>(customer_id)
    .bind::<SmallInt, _>(overall)
    .bind::<Timestamptz, _>(at)
    .execute(conn)
    .map(drop)
}

/// The stats figures of one customer (and the duplicates merged into it).
#[derive(QueryableByName, Debug, Default, Clone)]
pub struct StatsRow {
    #[diesel(sql_type = SqlUuid)]
    pub id: Uuid,
    #[diesel(sql_type = BigInt)]
    pub shipments_12m: i64,
    #[diesel(sql_type = BigInt)]
    pub spend_minor: i64,
    #[diesel(sql_type = Nullable<Text>)]
    pub currency: Option<String>,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    pub last_shipment_at: Option<DateTime<Utc>>,
    #[diesel(sql_type = BigInt)]
    pub complaints_open: i64,
    #[diesel(sql_type = BigInt)]
    pub complaints_12m: i64,
    #[diesel(sql_type = Nullable<Double>)]
    pub csat_avg: Option<f64>,
    #[diesel(sql_type = Nullable<Double>)]
    pub on_time_rate: Option<f64>,
}

/// The first day of the trailing 12 months ending `today`.
pub fn window_start(today: NaiveDate) -> NaiveDate {
    today - Duration::days(364)
}

/// The trailing-12-month spend of customer `id` as of `now` (as its stats show it).
pub fn spend_12m(conn: &mut PgConnection, id: Uuid, now: DateTime<Utc>) -> QueryResult<Money> {
    let stats = stats_for(conn, &[id], now)?;
    Ok(stats.first().map_or_else(
        || Money::from_minor(0, "CNY"),
        |s| Money::from_minor(s.spend_minor, s.currency.as_deref().unwrap_or("CNY")),
    ))
}

/// Stats of every customer in `ids` as of `now`, over trailing windows of daily buckets (a day
/// leaves the window when it is more than 12 months old). Duplicates merged into a customer
/// count for it. The query is the SQL function `customer_stats` (migration
/// `2026120420000_customer_stats_function`: planned once per connection).
pub fn stats_for(
    conn: &mut PgConnection,
    ids: &[Uuid],
    now: DateTime<Utc>,
) -> QueryResult<Vec<StatsRow>> {
    statement(
        "SELECT id, shipments_12m, spend_minor, currency, last_shipment_at, complaints_open, \
                complaints_12m, csat_avg, on_time_rate FROM customer_stats($1, $2, $3)",
    )
    .bind::<Array<SqlUuid>, _>(ids)
    .bind::<Date, _>(window_start(now.date_naive()))
    .bind::<Date, _>(now.date_naive())
    .load(conn)
}

/// A lifecycle stage a shipment changed.
#[derive(QueryableByName, Debug, Clone, PartialEq)]
pub struct StageMove {
    #[diesel(sql_type = SqlUuid)]
    pub id: Uuid,
    #[diesel(sql_type = Nullable<SqlUuid>)]
    pub owner_id: Option<Uuid>,
    #[diesel(sql_type = Nullable<SqlUuid>)]
    pub merchant_id: Option<Uuid>,
    #[diesel(sql_type = Text)]
    pub from: String,
    #[diesel(sql_type = Text)]
    pub to: String,
}

/// The live file a shipment of `customer_id` counts for (its survivor, when it was merged),
/// locked — so two shipments at once move its stage once — if its stage is one of `stages`
/// (those a shipment may move: a file in another is neither locked nor read); `from` and `to`
/// are its current stage until [`set_stage`].
pub fn lock_stage(
    conn: &mut PgConnection,
    customer_id: Uuid,
    stages: &[Stage],
) -> QueryResult<Option<StageMove>> {
    let stages: Vec<&str> = stages.iter().map(|s| s.as_str()).collect();
    statement(
        "SELECT c.id, c.owner_id, c.merchant_id, c.lifecycle_stage AS \"from\", \
           c.lifecycle_stage AS \"to\" FROM customers c \
         WHERE c.id = (SELECT COALESCE(d.merged_into, d.id) FROM customers d WHERE d.id = $1) \
           AND c.erased_at IS NULL AND c.lifecycle_stage = ANY($2) \
         FOR UPDATE",
    )
    .bind::<SqlUuid, _>(customer_id)
    .bind::<Array<Text>, _>(stages)
    .get_result(conn)
    .optional()
}

/// Sets the stage of the file [`lock_stage`] locked.
pub fn set_stage(conn: &mut PgConnection, id: Uuid, stage: Stage) -> QueryResult<()> {
    statement("UPDATE customers SET lifecycle_stage = $2 WHERE id = $1")
        .bind::<SqlUuid, _>(id)
        .bind::<Text, _>(stage.as_str())
        .execute(conn)
        .map(drop)
}

#[derive(QueryableByName)]
struct ActivityRow {
    #[diesel(sql_type = BigInt)]
    s30: i64,
    #[diesel(sql_type = BigInt)]
    s90: i64,
    #[diesel(sql_type = BigInt)]
    loyal: i64,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    last_at: Option<DateTime<Utc>>,
    #[diesel(sql_type = Nullable<Date>)]
    first_day: Option<NaiveDate>,
}

/// What `id`'s lifecycle stage is computed from as of `now`, its merged duplicates' shipments
/// counted: the figures the classification run computes for every customer at once
/// (`db::classification`), for one.
pub fn activity_of(
    conn: &mut PgConnection,
    id: Uuid,
    now: DateTime<Utc>,
    t: &Thresholds,
) -> QueryResult<Activity> {
    let today = now.date_naive();
    let r: ActivityRow = statement(
        "SELECT COALESCE(SUM(d.shipments) FILTER (WHERE d.day > $2::date - 30), 0)::bigint AS s30, \
           COALESCE(SUM(d.shipments) FILTER (WHERE d.day > $2::date - 90), 0)::bigint AS s90, \
           COALESCE(SUM(d.shipments) FILTER (WHERE d.day > $2::date - $3::int), 0)::bigint \
             AS loyal, \
           MAX(d.last_shipment_at) AS last_at, MIN(d.day) AS first_day \
         FROM customers c JOIN customer_shipment_days d ON d.customer_id = c.id \
         WHERE (c.id = $1 OR c.merged_into = $1) AND d.day <= $2::date",
    )
    .bind::<SqlUuid, _>(id)
    .bind::<Date, _>(today)
    .bind::<Integer, _>(i32::try_from(t.loyal_days).unwrap_or(i32::MAX))
    .get_result(conn)?;
    Ok(Activity {
        days_since_last: r.last_at.map(|at| (now - at).num_days()),
        days_since_first: r.first_day.map(|day| (today - day).num_days()),
        last_30d: r.s30,
        last_90d: r.s90,
        recent_for_loyalty: r.loyal,
    })
}
