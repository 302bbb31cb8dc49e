//! The `tracking_events` table and the set-based statements of batch ingestion: each statement
//! handles a whole batch, so a batch of 1000 events costs a handful of round trips.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt, Nullable, Text, Timestamptz, Uuid as SqlUuid};
use kuaidi_shared::db::statement;
use uuid::Uuid;

use super::schema::shipments;

/// One column of a batch, as an array parameter: `col!(rows.status)` is the `status` of every
/// row of `rows`, in order (the set-based statements below `UNNEST` such arrays side by side).
macro_rules! col {
    ($rows:ident . $f:ident) => {
        $rows.iter().map(|r| r.$f.clone()).collect::<Vec<_>>()
    };
}

/// The columns of a shipment that ingestion reads, locked for the transaction (their SQL types
/// are the `shipments` table's).
#[derive(Debug, Clone, QueryableByName)]
#[diesel(table_name = shipments)]
#[diesel(check_for_backend(diesel::pg::Pg))]
pub struct TrackedShipment {
    pub id: Uuid,
    pub tracking_number: String,
    pub merchant_id: Option<Uuid>,
    pub shipper_customer_id: Option<Uuid>,
    pub origin_city: String,
    pub destination_city: String,
    pub service_level: String,
    pub promised_at: DateTime<Utc>,
    pub estimated_delivery_at: Option<DateTime<Utc>>,
    pub status: String,
    pub substatus: Option<String>,
    pub delivered_at: Option<DateTime<Utc>>,
    pub signed_by: Option<String>,
    pub last_event_at: Option<DateTime<Utc>>,
    pub last_sequence: i64,
    /// The earliest accepted `in_transit` scan (a column the schema leaves out).
    #[diesel(sql_type = Nullable<Timestamptz>)]
    pub first_in_transit_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// Locks the shipments with these tracking numbers (in id order, so concurrent batches cannot
/// deadlock) and returns them; a statement prepared once per connection.
pub fn lock_by_tracking_numbers(
    conn: &mut PgConnection,
    tracking_numbers: &[String],
) -> QueryResult<Vec<TrackedShipment>> {
    statement(
        "SELECT id, tracking_number, merchant_id, shipper_customer_id, origin_city, \
           destination_city, service_level, promised_at, estimated_delivery_at, status, \
           substatus, delivered_at, signed_by, last_event_at, last_sequence, \
           first_in_transit_at, created_at, updated_at \
         FROM shipments WHERE tracking_number = ANY($1) ORDER BY id FOR UPDATE",
    )
    .bind::<Array<Text>, _>(tracking_numbers)
    .load(conn)
}

#[derive(QueryableByName)]
struct ExistingEvent {
    #[diesel(sql_type = SqlUuid)]
    shipment_id: Uuid,
    #[diesel(sql_type = Text)]
    event_id: String,
}

/// Which of these (shipment, event id) pairs are already stored: one primary-key probe per
/// pair whatever the planner's estimates (a plain join may be planned as a hash join over the
/// whole table when its statistics lag behind a fast-growing table).
pub fn existing(
    conn: &mut PgConnection,
    shipment_ids: Vec<Uuid>,
    event_ids: Vec<String>,
) -> QueryResult<Vec<(Uuid, String)>> {
    let rows: Vec<ExistingEvent> = diesel::sql_query(
        "SELECT k.shipment_id, k.event_id \
         FROM UNNEST($1::uuid[], $2::text[]) AS k(shipment_id, event_id) \
         CROSS JOIN LATERAL (SELECT 1 FROM tracking_events e \
           WHERE e.shipment_id = k.shipment_id AND e.event_id = k.event_id LIMIT 1) AS hit",
    )
    .bind::<Array<SqlUuid>, _>(shipment_ids)
    .bind::<Array<Text>, _>(event_ids)
    .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|r| (r.shipment_id, r.event_id))
        .collect())
}

/// A tracking event to store.
#[derive(Debug, Clone)]
pub struct NewEventRow {
    pub shipment_id: Uuid,
    pub event_id: String,
    pub sequence: i64,
    pub status: String,
    pub substatus: Option<String>,
    pub occurred_at: DateTime<Utc>,
    pub hub_code: Option<String>,
    pub city: Option<String>,
    pub province: Option<String>,
    pub description: Option<String>,
    pub courier_id: Option<String>,
}

/// Inserts every row in one statement. A plain `INSERT`, without `ON CONFLICT`: ingestion
/// writes only events it found new for shipments it holds locked, so a conflict is a bug and
/// fails the batch (a unique violation rolls it back). Checking every row against both unique
/// indexes first, as `ON CONFLICT DO NOTHING` does, cost 19 ms per 1000 events against 12 ms.
pub fn insert_all(
    conn: &mut PgConnection,
    rows: &[NewEventRow],
    received_at: DateTime<Utc>,
) -> QueryResult<usize> {
    if rows.is_empty() {
        return Ok(0);
    }
    diesel::sql_query(
        "INSERT INTO tracking_events (shipment_id, event_id, sequence, status, substatus, \
           occurred_at, hub_code, city, province, description, courier_id, received_at) \
         SELECT *, $11::timestamptz FROM UNNEST($1::uuid[], $2::text[], $3::int8[], $4::text[], \
           $5::text[], $6::timestamptz[], $7::text[], $8::text[], $9::text[], $10::text[], \
           $12::text[])",
    )
    .bind::<Array<SqlUuid>, _>(col!(rows.shipment_id))
    .bind::<Array<Text>, _>(col!(rows.event_id))
    .bind::<Array<BigInt>, _>(col!(rows.sequence))
    .bind::<Array<Text>, _>(col!(rows.status))
    .bind::<Array<Nullable<Text>>, _>(col!(rows.substatus))
    .bind::<Array<Timestamptz>, _>(col!(rows.occurred_at))
    .bind::<Array<Nullable<Text>>, _>(col!(rows.hub_code))
    .bind::<Array<Nullable<Text>>, _>(col!(rows.city))
    .bind::<Array<Nullable<Text>>, _>(col!(rows.province))
    .bind::<Array<Nullable<Text>>, _>(col!(rows.description))
    .bind::<Timestamptz, _>(received_at)
    .bind::<Array<Nullable<Text>>, _>(col!(rows.courier_id))
    .execute(conn)
}

/// The new tracking state of a shipment after a batch.
#[derive(Debug, Clone)]
pub struct ShipmentUpdate {
    pub id: Uuid,
    /// The shipment's merchant and its `updated_at` as read under lock: its `shipment_changes`
    /// row's key, which the update moves.
    pub merchant_id: Option<Uuid>,
    pub updated_at: DateTime<Utc>,
    pub status: String,
    pub substatus: Option<String>,
    pub delivered_at: Option<DateTime<Utc>>,
    pub signed_by: Option<String>,
    pub last_event_at: Option<DateTime<Utc>>,
    pub last_sequence: i64,
    /// The earliest accepted `in_transit` scan, kept with the row (`shipment.delivered` tells
    /// it without reading the timeline).
    pub first_in_transit_at: Option<DateTime<Utc>>,
    pub estimated_delivery_at: Option<DateTime<Utc>>,
}

/// Updates every shipment of a batch in one statement (and bumps their version), and moves
/// their `shipment_changes` rows to `now` in a second one — the update trigger, told so through
/// a setting local to the transaction and reset after the statement, leaves them alone
/// (migration `2026120300020_shipment_changes_kept_by_ingestion`). The `s.id = ANY($1)` lets
/// the planner fetch the batch's rows by primary key: joined to the UNNEST alone, a 1,000-row
/// batch was planned as a hash join over a sequential scan of the whole table (every row of
/// the bench's 20,300 read and hashed per batch).
pub fn update_all(
    conn: &mut PgConnection,
    updates: &[ShipmentUpdate],
    now: DateTime<Utc>,
) -> QueryResult<usize> {
    if updates.is_empty() {
        return Ok(0);
    }
    diesel::sql_query("SELECT set_config('kuaidi.shipment_changes_kept', 'on', true)")
        .execute(conn)?;
    let updated = diesel::sql_query(
        "UPDATE shipments s SET status = u.status, substatus = u.substatus, \
           delivered_at = u.delivered_at, last_event_at = u.last_event_at, \
           last_sequence = u.last_sequence, estimated_delivery_at = u.eta, \
           signed_by = u.signed_by, first_in_transit_at = u.first_in_transit_at, \
           updated_at = $8, version = s.version + 1 \
         FROM UNNEST($1::uuid[], $2::text[], $3::text[], $4::timestamptz[], $5::timestamptz[], \
           $6::int8[], $7::timestamptz[], $9::text[], $10::timestamptz[]) \
           AS u(id, status, substatus, delivered_at, last_event_at, last_sequence, eta, \
             signed_by, first_in_transit_at) \
         WHERE s.id = u.id AND s.id = ANY($1)",
    )
    .bind::<Array<SqlUuid>, _>(col!(updates.id))
    .bind::<Array<Text>, _>(col!(updates.status))
    .bind::<Array<Nullable<Text>>, _>(col!(updates.substatus))
    .bind::<Array<Nullable<Timestamptz>>, _>(col!(updates.delivered_at))
    .bind::<Array<Nullable<Timestamptz>>, _>(col!(updates.last_event_at))
    .bind::<Array<BigInt>, _>(col!(updates.last_sequence))
    .bind::<Array<Nullable<Timestamptz>>, _>(col!(updates.estimated_delivery_at))
    .bind::<Timestamptz, _>(now)
    .bind::<Array<Nullable<Text>>, _>(col!(updates.signed_by))
    .bind::<Array<Nullable<Timestamptz>>, _>(col!(updates.first_in_transit_at))
    .execute(conn)?;
    let kept: Vec<&ShipmentUpdate> = updates
        .iter()
        .filter(|u| u.merchant_id.is_some() && u.updated_at != now)
        .collect();
    diesel::sql_query(
        "WITH moved AS ( \
           UPDATE shipment_changes c SET changed_at = $4 \
           FROM UNNEST($1::uuid[], $2::timestamptz[], $3::uuid[]) AS o(merchant_id, at, id) \
           WHERE c.merchant_id = o.merchant_id AND c.changed_at = o.at AND c.shipment_id = o.id \
           RETURNING 1) \
         SELECT (SELECT count(*) FROM moved), \
           set_config('kuaidi.shipment_changes_kept', 'off', true)",
    )
    .bind::<Array<SqlUuid>, _>(
        kept.iter()
            .filter_map(|u| u.merchant_id)
            .collect::<Vec<_>>(),
    )
    .bind::<Array<Timestamptz>, _>(col!(kept.updated_at))
    .bind::<Array<SqlUuid>, _>(col!(kept.id))
    .bind::<Timestamptz, _>(now)
    .execute(conn)?;
    Ok(updated)
}

/// One event of a shipment's timeline.
#[derive(Debug, Clone, QueryableByName)]
pub struct EventRow {
    #[diesel(sql_type = BigInt)]
    pub sequence: i64,
    #[diesel(sql_type = Text)]
    pub event_id: String,
    #[diesel(sql_type = Text)]
    pub status: String,
    #[diesel(sql_type = Nullable<Text>)]
    pub substatus: Option<String>,
    #[diesel(sql_type = Timestamptz)]
    pub occurred_at: DateTime<Utc>,
    #[diesel(sql_type = Nullable<Text>)]
    pub hub_code: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub city: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub province: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub description: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub courier_id: Option<String>,
}

/// The columns of an [`EventRow`], as SQL text (for `concat!`).
macro_rules! event_columns {
    () => {
        "sequence, event_id, status, substatus, occurred_at, hub_code, city, province, \
         description, courier_id"
    };
}
pub(crate) use event_columns;

/// Every accepted event of a shipment, oldest first.
pub fn timeline(conn: &mut PgConnection, shipment_id: Uuid) -> QueryResult<Vec<EventRow>> {
    diesel::sql_query(concat!(
        "SELECT ",
        event_columns!(),
        " FROM tracking_events WHERE shipment_id = $1 ORDER BY occurred_at, sequence"
    ))
    .bind::<SqlUuid, _>(shipment_id)
    .load(conn)
}

/// A shipment the sweep expired.
#[derive(Debug, Clone, QueryableByName)]
pub struct ExpiredRow {
    #[diesel(sql_type = SqlUuid)]
    pub id: Uuid,
    #[diesel(sql_type = Text)]
    pub tracking_number: String,
    #[diesel(sql_type = Nullable<SqlUuid>)]
    pub merchant_id: Option<Uuid>,
    #[diesel(sql_type = Nullable<SqlUuid>)]
    pub shipper_customer_id: Option<Uuid>,
    #[diesel(sql_type = Text)]
    pub from_status: String,
    #[diesel(sql_type = BigInt)]
    pub last_sequence: i64,
}

/// Expires up to `limit` live shipments whose last activity — their creation here or their
/// latest scan, whichever is later — is before `cutoff` (index `shipments_live_created`).
pub fn expire_idle(
    conn: &mut PgConnection,
    cutoff: DateTime<Utc>,
    now: DateTime<Utc>,
    limit: i64,
) -> QueryResult<Vec<ExpiredRow>> {
    diesel::sql_query(
        "WITH due AS ( \
           SELECT id, status AS from_status FROM shipments \
           WHERE live AND created_at < $1 AND (last_event_at IS NULL OR last_event_at < $1) \
           ORDER BY id LIMIT $3 FOR UPDATE SKIP LOCKED) \
         UPDATE shipments s SET status = 'expired', substatus = NULL, \
           last_sequence = s.last_sequence + 1, version = s.version + 1, updated_at = $2 \
         FROM due WHERE s.id = due.id \
         RETURNING s.id, s.tracking_number, s.merchant_id, s.shipper_customer_id, \
           due.from_status, s.last_sequence",
    )
    .bind::<Timestamptz, _>(cutoff)
    .bind::<Timestamptz, _>(now)
    .bind::<BigInt, _>(limit)
    .load(conn)
}
