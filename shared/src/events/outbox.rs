//! The transactional outbox: [`Outbox::enqueue`] writes an event in the caller's transaction;
//! the relay (`super::relay`) publishes it after commit.

use diesel::pg::PgConnection;
use diesel::prelude::*;
use diesel::sql_types::{Array, Text};
use std::collections::HashSet;
use std::sync::Arc;
use tokio::sync::Notify;
use uuid::Uuid;

use super::envelope::CloudEvent;
use crate::db::statement;

/// Most events in one batch message (`application/cloudevents-batch+json`).
pub const BATCH_EVENTS: usize = 500;

diesel::table! {
    outbox (id) {
        id -> Int8,
        event_id -> Uuid,
        event_type -> Text,
        envelope -> Text,
        created_at -> Timestamptz,
        claimed_until -> Nullable<Timestamptz>,
        published_at -> Nullable<Timestamptz>,
        attempts -> Int4,
        events -> Int4,
    }
}

diesel::table! {
    processed_events (event_id, consumer) {
        event_id -> Uuid,
        consumer -> Text,
        event_type -> Text,
        processed_at -> Timestamptz,
    }
}

#[derive(QueryableByName)]
struct Recorded {
    #[diesel(sql_type = diesel::sql_types::Uuid)]
    event_id: Uuid,
}

/// Records the ids of `events` as processed by `consumer`; the ids that were not yet recorded.
pub(crate) fn record_processed(
    conn: &mut PgConnection,
    consumer: &str,
    events: &[&CloudEvent],
) -> QueryResult<HashSet<Uuid>> {
    let ids: Vec<Uuid> = events.iter().map(|e| e.id).collect();
    let types: Vec<&str> = events.iter().map(|e| e.type_.as_str()).collect();
    let rows: Vec<Recorded> = statement(
        "INSERT INTO processed_events (event_id, consumer, event_type) \
         SELECT u.id, $2, u.t FROM UNNEST($1::uuid[], $3::text[]) AS u(id, t) \
         ON CONFLICT DO NOTHING RETURNING event_id",
    )
    .bind::<Array<diesel::sql_types::Uuid>, _>(&ids)
    .bind::<Text, _>(consumer)
    .bind::<Array<Text>, _>(&types)
    .load(conn)?;
    Ok(rows.into_iter().map(|r| r.event_id).collect())
}

/// Handle to a service's outbox: writes rows and wakes the relay after a commit.
#[derive(Clone, Default)]
pub struct Outbox {
    wake: Arc<Notify>,
}

impl Outbox {
    pub fn new() -> Self {
        Self::default()
    }

    /// Writes `event` to the outbox inside the caller's transaction. Call [`Outbox::wake`]
    /// after the transaction commits.
    pub fn enqueue(conn: &mut PgConnection, event: &CloudEvent) -> QueryResult<()> {
        Self::enqueue_all(conn, std::slice::from_ref(event))
    }

    /// Writes many events in one statement. The statement's text does not depend on the number
    /// of events (arrays, not a VALUES list), so it is prepared once per connection; each
    /// envelope is serialised once.
    pub fn enqueue_all(conn: &mut PgConnection, events: &[CloudEvent]) -> QueryResult<()> {
        let rows = events
            .iter()
            .map(|e| (e.id, e.type_.as_str(), 1, serde_json::to_string(e)));
        insert_rows(conn, rows)
    }

    /// Writes many events as few messages: per event type, batches of up to [`BATCH_EVENTS`]
    /// (one outbox row, one AMQP message, a JSON array of envelopes), each under a new id
    /// `batch_id` gives; a type with a single event is written as that event alone. For changes that produce many events of a type at once; consumers
    /// handle each event of a batch as if it had come alone.
    pub fn enqueue_batched(
        conn: &mut PgConnection,
        events: &[CloudEvent],
        mut batch_id: impl FnMut() -> uuid::Uuid,
    ) -> QueryResult<()> {
        let mut types: Vec<&str> = Vec::new();
        for e in events {
            if !types.contains(&e.type_.as_str()) {
                types.push(&e.type_);
            }
        }
        let mut rows = Vec::new();
        for type_ in types {
            let of_type: Vec<&CloudEvent> = events.iter().filter(|e| e.type_ == type_).collect();
            for chunk in of_type.chunks(BATCH_EVENTS) {
                rows.push(match chunk {
                    // A lone event of its type travels as itself.
                    [one] => (one.id, type_, 1, serde_json::to_string(one)),
                    _ => (
                        batch_id(),
                        type_,
                        chunk.len() as i32,
                        serde_json::to_string(chunk),
                    ),
                });
            }
        }
        insert_rows(conn, rows.into_iter())
    }

    /// Tells the relay that rows were committed, so it need not wait for its next poll.
    pub fn wake(&self) {
        self.wake.notify_one();
    }

    pub(crate) fn notified(&self) -> Arc<Notify> {
        self.wake.clone()
    }
}

/// Writes outbox rows `(message id, event type, events, envelope or batch)` in one statement whose
/// text does not depend on their number (arrays, not a VALUES list), so it is prepared once
/// per connection.
fn insert_rows<'a>(
    conn: &mut PgConnection,
    rows: impl Iterator<Item = (uuid::Uuid, &'a str, i32, serde_json::Result<String>)>,
) -> QueryResult<()> {
    use diesel::sql_types::{Array, Integer, Text, Uuid as SqlUuid};
    let mut ids = Vec::new();
    let mut types = Vec::new();
    let mut counts = Vec::new();
    let mut envelopes = Vec::new();
    for (id, type_, n, envelope) in rows {
        ids.push(id);
        types.push(type_);
        counts.push(n);
        // An envelope is built from typed values and always serialises.
        envelopes.push(envelope.unwrap_or_else(|_| "null".into()));
    }
    if ids.is_empty() {
        return Ok(());
    }
    statement(
        "INSERT INTO outbox (event_id, event_type, envelope, events) \
             SELECT e.id, e.type, e.envelope, e.events \
             FROM UNNEST($1::uuid[], $2::text[], $3::text[], $4::int[]) WITH ORDINALITY \
               AS e(id, type, envelope, events, ord) \
             ORDER BY e.ord",
    )
    .bind::<Array<SqlUuid>, _>(ids)
    .bind::<Array<Text>, _>(types)
    .bind::<Array<Text>, _>(envelopes)
    .bind::<Array<Integer>, _>(counts)
    .execute(conn)?;
    Ok(())
}
