//! Applying events: a group of events and their `processed_events` rows in one transaction,
//! with the handler's outcome, or why the transaction rolled back.

use diesel::prelude::*;
use std::sync::Arc;

use super::consumer::Subscription;
use super::envelope::CloudEvent;
use super::outbox::record_processed;

/// The outcome of handling one delivery.
#[derive(Debug, PartialEq, Eq)]
pub enum Handled {
    Applied,
    /// Already processed earlier: acknowledged with no effect.
    Duplicate,
}

/// Runs the handler and records the event id in one transaction.
pub async fn apply(sub: &Subscription, event: CloudEvent) -> anyhow::Result<Handled> {
    let mut outcomes = apply_all(sub, vec![event]).await.map_err(|f| f.error)?;
    Ok(outcomes.pop().expect("one outcome per event"))
}

/// Why [`apply_all`] rolled back: the event at `index` failed, or (`None`) the transaction did,
/// or a handler of several events at once did without naming one.
#[derive(Debug)]
pub struct Failed {
    pub index: Option<usize>,
    pub error: anyhow::Error,
}

impl Failed {
    /// The event at `index` failed.
    pub fn at(index: usize, error: anyhow::Error) -> Self {
        Self {
            index: Some(index),
            error,
        }
    }

    /// One of the events failed; which one is not known.
    pub fn somewhere(error: anyhow::Error) -> Self {
        Self { index: None, error }
    }

    /// The same failure, its index counted from `offset` (a run's place among all the events).
    pub fn shifted(self, offset: usize) -> Self {
        Self {
            index: self.index.map(|i| i + offset),
            error: self.error,
        }
    }
}

impl From<diesel::result::Error> for Failed {
    fn from(e: diesel::result::Error) -> Self {
        Self {
            index: None,
            error: e.into(),
        }
    }
}

/// Runs the handler for every event, and records their ids, in one transaction; any failure
/// rolls all of them back. The ids are recorded first, all in one statement, so a group of
/// events costs one round trip for its `processed_events` rows, not one per event; the new
/// events then go to the handler together ([`EventHandler::handle_all`]). Events of a type
/// the handler does not have recorded ([`EventHandler::recorded`]) always go to it.
///
/// [`EventHandler::handle_all`]: super::consumer::EventHandler::handle_all
/// [`EventHandler::recorded`]: super::consumer::EventHandler::recorded
pub async fn apply_all<E: Into<Arc<CloudEvent>>>(
    sub: &Subscription,
    events: Vec<E>,
) -> Result<Vec<Handled>, Failed> {
    // Shared, not copied: a consumer keeps its deliveries' events until they are settled.
    let events: Vec<Arc<CloudEvent>> = events.into_iter().map(Into::into).collect();
    let handler = sub.handler.clone();
    let consumer = sub.service.clone();
    let done = crate::db::work(&sub.pool, move |conn| {
        Ok(conn.transaction::<_, Failed, _>(|conn| {
            let recorded = |e: &CloudEvent| handler.recorded(&e.type_);
            let kept: Vec<&CloudEvent> = events
                .iter()
                .map(|e| &**e)
                .filter(|e| recorded(e))
                .collect();
            let mut new = if kept.is_empty() {
                Default::default()
            } else {
                record_processed(conn, &consumer, &kept)?
            };
            let mut outcomes = Vec::with_capacity(events.len());
            let (mut fresh, mut place) = (Vec::new(), Vec::new());
            for (index, event) in events.iter().enumerate() {
                // An id recorded by this statement is handled once, at its first place.
                if !recorded(event) || new.remove(&event.id) {
                    outcomes.push(Handled::Applied);
                    fresh.push(&**event);
                    place.push(index);
                } else {
                    outcomes.push(Handled::Duplicate);
                }
            }
            handler.handle_all(conn, &fresh).map_err(|f| Failed {
                index: f.index.map(|i| place[i]),
                error: f.error,
            })?;
            Ok(outcomes)
        }))
    })
    .await;
    match done {
        Ok(result) => result,
        Err(error) => Err(Failed { index: None, error }),
    }
}
