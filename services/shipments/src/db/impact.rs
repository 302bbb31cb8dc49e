//! Impact scope (seed 004 "停电范围分析"): live shipments that were at, or are bound through, a
//! hub or city in a time window.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Nullable, Text, Timestamptz, Uuid as SqlUuid};
use uuid::Uuid;

/// Where the disruption is.
#[derive(Debug, Clone)]
pub enum Place {
    Hub(String),
    City(String),
}

#[derive(Debug, Clone, QueryableByName)]
pub struct Affected {
    #[diesel(sql_type = SqlUuid)]
    pub id: Uuid,
    #[diesel(sql_type = Text)]
    pub tracking_number: String,
    #[diesel(sql_type = Text)]
    pub status: String,
    #[diesel(sql_type = Nullable<SqlUuid>)]
    pub merchant_id: Option<Uuid>,
    #[diesel(sql_type = Nullable<SqlUuid>)]
    pub shipper_customer_id: Option<Uuid>,
    #[diesel(sql_type = Text)]
    pub origin_city: String,
    #[diesel(sql_type = Text)]
    pub destination_city: String,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    pub estimated_delivery_at: Option<DateTime<Utc>>,
}

/// Every affected shipment (not delivered, not expired) within `merchant` when given.
pub fn affected(
    conn: &mut PgConnection,
    place: &Place,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    merchant: Option<Uuid>,
    limit: i64,
) -> QueryResult<Vec<Affected>> {
    let (hub, city) = match place {
        Place::Hub(h) => (Some(h.as_str()), None),
        Place::City(c) => (None, Some(c.as_str())),
    };
    diesel::sql_query(
        "SELECT s.id, s.tracking_number, s.status, s.merchant_id, s.shipper_customer_id, \
                s.origin_city, s.destination_city, s.estimated_delivery_at \
         FROM shipments s \
         WHERE s.status NOT IN ('delivered', 'expired') \
           AND ($5::uuid IS NULL OR s.merchant_id = $5) \
           AND ( \
             EXISTS (SELECT 1 FROM tracking_events e WHERE e.shipment_id = s.id \
                     AND e.occurred_at BETWEEN $3 AND $4 \
                     AND (($1::text IS NOT NULL AND e.hub_code = $1) OR ($2::text IS NOT NULL AND e.city = $2))) \
             OR (s.created_at <= $4 AND COALESCE(s.last_event_at, s.created_at) >= $3 AND ( \
                  ($1::text IS NOT NULL AND $1 IN (s.origin_hub_code, s.destination_hub_code)) \
               OR ($2::text IS NOT NULL AND $2 IN (s.origin_city, s.destination_city)))) \
           ) \
         ORDER BY s.created_at, s.id LIMIT $6",
    )
    .bind::<Nullable<Text>, _>(hub)
    .bind::<Nullable<Text>, _>(city)
    .bind::<Timestamptz, _>(from)
    .bind::<Timestamptz, _>(to)
    .bind::<Nullable<SqlUuid>, _>(merchant)
    .bind::<BigInt, _>(limit)
    .load(conn)
}
