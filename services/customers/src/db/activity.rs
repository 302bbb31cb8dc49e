//! Shipping and complaint activity per customer, kept from events, and the stats windows over
//! it.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use diesel::prelude::*;
use diesel::sql_types::{
    Array, BigInt, Date, Double, Integer, Nullable, SmallInt, Text, Timestamptz, Uuid as SqlUuid,
};
use uuid::Uuid;

/// Adds one shipment worth `spend_minor` on `at`'s UTC day.
pub fn record_shipment(
    conn: &mut PgConnection,
    customer_id: Uuid,
    at: DateTime<Utc>,
    currency: &str,
    spend_minor: i64,
) -> QueryResult<()> {
    diesel::sql_query(
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
    diesel::sql_query(
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
    diesel::sql_query(
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
    diesel::sql_query(
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
    diesel::sql_query(
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
    diesel::sql_query(
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

/// Stats of every customer in `ids` as of `now`, over trailing windows of daily buckets (a day
/// leaves the window when it is more than 12 months old). Duplicates merged into a customer
/// count for it.
pub fn stats_for(
    conn: &mut PgConnection,
    ids: &[Uuid],
    now: DateTime<Utc>,
) -> QueryResult<Vec<StatsRow>> {
    diesel::sql_query(
        "WITH ids AS (SELECT DISTINCT unnest($1::uuid[]) AS id), \
         members AS ( \
           SELECT i.id AS cid, c.id AS member FROM ids i \
           JOIN customers c ON c.id = i.id OR c.merged_into = i.id), \
         ship AS ( \
           SELECT m.cid, SUM(d.shipments) FILTER (WHERE d.day >= $2) AS n, \
                  SUM(d.spend_minor) FILTER (WHERE d.day >= $2) AS spend, \
                  MAX(d.currency) AS currency, MAX(d.last_shipment_at) AS last_at \
           FROM members m JOIN customer_shipment_days d ON d.customer_id = m.member \
           WHERE d.day <= $3 GROUP BY m.cid), \
         comp AS ( \
           SELECT m.cid, COUNT(*) FILTER (WHERE cc.is_open) AS open, \
                  COUNT(*) FILTER (WHERE cc.received_at::date >= $2) AS last12 \
           FROM members m JOIN customer_complaints cc ON cc.customer_id = m.member \
           GROUP BY m.cid), \
         surv AS ( \
           SELECT m.cid, AVG(s.overall)::float8 AS csat \
           FROM members m JOIN customer_surveys s ON s.customer_id = m.member \
           WHERE s.submitted_at::date >= $2 GROUP BY m.cid), \
         deliv AS ( \
           SELECT m.cid, SUM(d.on_time)::float8 / NULLIF(SUM(d.delivered), 0) AS rate \
           FROM members m JOIN customer_delivery_days d ON d.customer_id = m.member \
           WHERE d.day >= $2 AND d.day <= $3 GROUP BY m.cid) \
         SELECT i.id, COALESCE(ship.n, 0)::bigint AS shipments_12m, \
                COALESCE(ship.spend, 0)::bigint AS spend_minor, ship.currency, \
                ship.last_at AS last_shipment_at, \
                COALESCE(comp.open, 0)::bigint AS complaints_open, \
                COALESCE(comp.last12, 0)::bigint AS complaints_12m, \
                surv.csat AS csat_avg, deliv.rate AS on_time_rate \
         FROM ids i LEFT JOIN ship ON ship.cid = i.id LEFT JOIN comp ON comp.cid = i.id \
         LEFT JOIN surv ON surv.cid = i.id LEFT JOIN deliv ON deliv.cid = i.id",
    )
    .bind::<Array<SqlUuid>, _>(ids)
    .bind::<Date, _>(window_start(now.date_naive()))
    .bind::<Date, _>(now.date_naive())
    .load(conn)
}
