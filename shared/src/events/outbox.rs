//! The transactional outbox: [`Outbox::enqueue`] writes an event in the caller's transaction;
//! the relay (`super::relay`) publishes it after commit.

use diesel::pg::PgConnection;
use diesel::prelude::*;
use std::sync::Arc;
use tokio::sync::Notify;

use super::envelope::CloudEvent;

diesel::table! {
    outbox (id) {
        id -> Int8,
        event_id -> Uuid,
        event_type -> Text,
        envelope -> Jsonb,
        created_at -> Timestamptz,
        claimed_until -> Nullable<Timestamptz>,
        published_at -> Nullable<Timestamptz>,
        attempts -> Int4,
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
        use diesel::sql_types::{Array, Text, Uuid as SqlUuid};
        if events.is_empty() {
            return Ok(());
        }
        let ids: Vec<uuid::Uuid> = events.iter().map(|e| e.id).collect();
        let types: Vec<&str> = events.iter().map(|e| e.type_.as_str()).collect();
        let envelopes: Vec<String> = events
            .iter()
            .map(|e| serde_json::to_string(e).unwrap_or_else(|_| "null".into()))
            .collect();
        diesel::sql_query(
            "INSERT INTO outbox (event_id, event_type, envelope) \
             SELECT e.id, e.type, e.envelope::jsonb \
             FROM UNNEST($1::uuid[], $2::text[], $3::text[]) WITH ORDINALITY \
               AS e(id, type, envelope, ord) \
             ORDER BY e.ord",
        )
        .bind::<Array<SqlUuid>, _>(ids)
        .bind::<Array<Text>, _>(types)
        .bind::<Array<Text>, _>(envelopes)
        .execute(conn)?;
        Ok(())
    }

    /// Tells the relay that rows were committed, so it need not wait for its next poll.
    pub fn wake(&self) {
        self.wake.notify_one();
    }

    pub(crate) fn notified(&self) -> Arc<Notify> {
        self.wake.clone()
    }
}
