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

/// What an impact query asks: a place, a window, and the merchant a merchant's query is held to.
#[derive(Debug, Clone)]
pub struct Scope {
    pub place: Place,
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    pub merchant: Option<Uuid>,
}

/// Where a page of affected shipments ends: the last one's `(created_at, id)`.
pub type After = (DateTime<Utc>, Uuid);

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
    #[diesel(sql_type = Timestamptz)]
    pub created_at: DateTime<Utc>,
}

impl Affected {
    /// Where a page ending with this shipment ends.
    pub fn key(&self) -> After {
        (self.created_at, self.id)
    }
}

/// Affected shipments (not delivered, not expired) within the scope's merchant when given, in
/// `(created_at, id)` order after `after`, at most `limit`: a page of them.
pub fn affected(
    conn: &mut PgConnection,
    scope: &Scope,
    after: Option<After>,
    limit: i64,
) -> QueryResult<Vec<Affected>> {
    let (hub, city) = match &scope.place {
        Place::Hub(h) => (Some(h.as_str()), None),
        Place::City(c) => (None, Some(c.as_str())),
    };
    diesel::sql_query(
        "SELECT s.id, s.tracking_number, s.status, s.merchant_id, s.shipper_customer_id, \
                s.origin_city, s.destination_city, s.estimated_delivery_at, s.created_at \
         FROM shipments s \
         WHERE s.status NOT IN ('delivered', 'expired') \
           AND ($5::uuid IS NULL OR s.merchant_id = $5) \
           AND ($7::timestamptz IS NULL OR (s.created_at, s.id) > ($7, $8::uuid)) \
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
    .bind::<Timestamptz, _>(scope.from)
    .bind::<Timestamptz, _>(scope.to)
    .bind::<Nullable<SqlUuid>, _>(scope.merchant)
    .bind::<BigInt, _>(limit)
    .bind::<Nullable<Timestamptz>, _>(after.map(|a| a.0))
    .bind::<Nullable<SqlUuid>, _>(after.map(|a| a.1))
    .load(conn)
}
