//! What public tracking reads: the shipment's status and its timeline, nothing personal.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Nullable, Text, Timestamptz, Uuid as SqlUuid};
use uuid::Uuid;

use super::schema::shipments;

#[derive(Debug, Clone, Queryable)]
pub struct PublicShipment {
    pub id: Uuid,
    pub tracking_number: String,
    pub status: String,
    pub substatus: Option<String>,
    pub origin_city: String,
    pub destination_city: String,
    pub estimated_delivery_at: Option<DateTime<Utc>>,
    pub delivered_at: Option<DateTime<Utc>>,
    pub last_event_at: Option<DateTime<Utc>>,
    pub recipient_sealed: Vec<u8>,
    /// The sequence of the shipment's latest change (its latest accepted event, or expiry).
    pub last_sequence: i64,
    /// Bumped by every change of the row.
    pub version: i32,
}

#[derive(Debug, Clone, QueryableByName)]
pub struct PublicCheckpoint {
    #[diesel(sql_type = BigInt)]
    pub sequence: i64,
    #[diesel(sql_type = Timestamptz)]
    pub occurred_at: DateTime<Utc>,
    #[diesel(sql_type = Text)]
    pub status: String,
    #[diesel(sql_type = Nullable<Text>)]
    pub substatus: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub city: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub description: Option<String>,
}

pub fn find(conn: &mut PgConnection, tracking_number: &str) -> QueryResult<Option<PublicShipment>> {
    shipments::table
        .filter(shipments::tracking_number.eq(tracking_number))
        .select((
            shipments::id,
            shipments::tracking_number,
            shipments::status,
            shipments::substatus,
            shipments::origin_city,
            shipments::destination_city,
            shipments::estimated_delivery_at,
            shipments::delivered_at,
            shipments::last_event_at,
            shipments::recipient_sealed,
            shipments::last_sequence,
            shipments::version,
        ))
        .first(conn)
        .optional()
}

/// Every accepted checkpoint, oldest first.
pub fn checkpoints(
    conn: &mut PgConnection,
    shipment_id: Uuid,
) -> QueryResult<Vec<PublicCheckpoint>> {
    diesel::sql_query(
        "SELECT sequence, occurred_at, status, substatus, city, description \
         FROM tracking_events WHERE shipment_id = $1 ORDER BY occurred_at, sequence",
    )
    .bind::<SqlUuid, _>(shipment_id)
    .load(conn)
}
