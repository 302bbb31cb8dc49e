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

    /// Writes many events in one statement.
    pub fn enqueue_all(conn: &mut PgConnection, events: &[CloudEvent]) -> QueryResult<()> {
        if events.is_empty() {
            return Ok(());
        }
        let rows: Vec<_> = events
            .iter()
            .map(|e| {
                (
                    outbox::event_id.eq(e.id),
                    outbox::event_type.eq(&e.type_),
                    outbox::envelope.eq(serde_json::to_value(e).unwrap_or_default()),
                )
            })
            .collect();
        diesel::insert_into(outbox::table)
            .values(&rows)
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
