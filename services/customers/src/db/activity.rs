//! Shipping and complaint activity per customer, kept from events, and the stats windows over
//! it.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Date, Nullable, Text, Timestamptz, Uuid as SqlUuid};
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

#[derive(QueryableByName, Debug, Default)]
pub struct Window {
    #[diesel(sql_type = BigInt)]
    pub shipments: i64,
    #[diesel(sql_type = BigInt)]
    pub spend_minor: i64,
    #[diesel(sql_type = Nullable<Text>)]
    pub currency: Option<String>,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    pub last_shipment_at: Option<DateTime<Utc>>,
}

#[derive(QueryableByName, Debug, Default)]
pub struct ComplaintCounts {
    #[diesel(sql_type = BigInt)]
    pub open: i64,
    #[diesel(sql_type = BigInt)]
    pub last_12m: i64,
}

/// The first day of the trailing 12 months ending `today`.
pub fn window_start(today: NaiveDate) -> NaiveDate {
    today - Duration::days(364)
}

/// Shipments and spend in the 12 months up to `today` (spend in the customer's main currency).
pub fn shipping_window(
    conn: &mut PgConnection,
    customer_id: Uuid,
    today: NaiveDate,
) -> QueryResult<Window> {
    let rows: Vec<Window> = diesel::sql_query(
        "SELECT SUM(shipments)::bigint AS shipments, SUM(spend_minor)::bigint AS spend_minor, \
                currency, MAX(last_shipment_at) AS last_shipment_at \
         FROM customer_shipment_days WHERE customer_id = $1 AND day >= $2 AND day <= $3 \
         GROUP BY currency ORDER BY SUM(spend_minor) DESC",
    )
    .bind::<SqlUuid, _>(customer_id)
    .bind::<Date, _>(window_start(today))
    .bind::<Date, _>(today)
    .load(conn)?;
    let total: i64 = rows.iter().map(|w| w.shipments).sum();
    let last = rows.iter().filter_map(|w| w.last_shipment_at).max();
    Ok(rows
        .into_iter()
        .next()
        .map(|main| Window {
            shipments: total,
            last_shipment_at: last,
            ..main
        })
        .unwrap_or_default())
}

pub fn complaint_counts(
    conn: &mut PgConnection,
    customer_id: Uuid,
    now: DateTime<Utc>,
) -> QueryResult<ComplaintCounts> {
    diesel::sql_query(
        "SELECT COUNT(*) FILTER (WHERE is_open) AS open, \
                COUNT(*) FILTER (WHERE received_at > $2 - interval '12 months') AS last_12m \
         FROM customer_complaints WHERE customer_id = $1",
    )
    .bind::<SqlUuid, _>(customer_id)
    .bind::<Timestamptz, _>(now)
    .get_result(conn)
}
