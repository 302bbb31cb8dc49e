//! A portfolio handover (SPEC §4, seed 000): every customer one account manager owns, and the
//! open follow-ups that go with them, move to another manager in the caller's transaction,
//! with one `customer.owner_changed` per customer naming the handover.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use kuaidi_shared::events::{CloudEvent, Outbox};
use kuaidi_shared::request::RequestContext;
use uuid::Uuid;

use crate::db::schema::{customers, follow_ups};
use crate::events::emit::{Emitter, OwnerChange};

/// What a handover moved.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Moved {
    pub customers: i64,
    pub follow_ups: i64,
}

/// One handover: who gives, who takes, its id and time.
#[derive(Debug, Clone, Copy)]
pub struct Handover {
    pub id: Uuid,
    pub from: Uuid,
    pub to: Uuid,
    pub at: DateTime<Utc>,
}

impl Handover {
    /// Moves the portfolio; answers what moved.
    pub fn run(&self, conn: &mut PgConnection, ctx: &RequestContext) -> QueryResult<Moved> {
        let Self { id, from, to, at } = *self;
        let moved: Vec<Uuid> = diesel::update(customers::table)
            .filter(customers::owner_id.eq(from))
            .filter(customers::erased_at.is_null())
            .set((
                customers::owner_id.eq(Some(to)),
                customers::updated_at.eq(at),
                customers::version.eq(customers::version + 1),
            ))
            .returning(customers::id)
            .get_results(conn)?;
        // The outgoing manager's open tasks, and the portfolio's unassigned ones.
        let tasks = diesel::update(follow_ups::table)
            .filter(follow_ups::status.eq("open"))
            .filter(
                follow_ups::assignee_id.eq(from).or(follow_ups::assignee_id
                    .is_null()
                    .and(follow_ups::customer_id.eq_any(&moved))),
            )
            .set((
                follow_ups::assignee_id.eq(Some(to)),
                follow_ups::updated_at.eq(at),
                follow_ups::version.eq(follow_ups::version + 1),
            ))
            .execute(conn)?;
        let (emit, change) = (
            Emitter { ctx, now: at },
            OwnerChange {
                from: Some(from),
                to: Some(to),
                handover: Some(id),
            },
        );
        let events: Vec<CloudEvent> = moved
            .iter()
            .map(|customer| emit.owner_changed(*customer, change))
            .collect();
        Outbox::enqueue_all(conn, &events)?;
        Ok(Moved {
            customers: moved.len() as i64,
            follow_ups: tasks as i64,
        })
    }
}
