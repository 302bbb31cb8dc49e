//! A customer's account manager changing outside a handover (`PUT /owner`, an edit naming
//! `owner_id`, a merge and its undo): every change is announced with `customer.owner_changed`;
//! a change by hand takes the customer's open follow-ups along to the new owner.

use diesel::prelude::*;
use kuaidi_shared::events::Outbox;
use uuid::Uuid;

use crate::db::schema::follow_ups;
use crate::events::emit::{Emitter, OwnerChange};

/// Announces that `customer`'s owner went `from` → `to` (nothing when they are the same);
/// answers whether it changed. The caller writes the row.
pub fn announce(
    conn: &mut PgConnection,
    emit: &Emitter,
    customer: Uuid,
    from: Option<Uuid>,
    to: Option<Uuid>,
) -> QueryResult<bool> {
    if from == to {
        return Ok(false);
    }
    let change = OwnerChange {
        from,
        to,
        handover: None,
    };
    Outbox::enqueue(conn, &emit.owner_changed(customer, change))?;
    Ok(true)
}

/// Gives `customer` the owner `to` instead of `from`: its open follow-ups assigned to the
/// previous owner (to no one, when it had none) go to the new one, and the change is announced. Answers
/// whether it changed; the caller writes the row.
pub fn reassign(
    conn: &mut PgConnection,
    emit: &Emitter,
    customer: Uuid,
    from: Option<Uuid>,
    to: Option<Uuid>,
) -> QueryResult<bool> {
    if from == to {
        return Ok(false);
    }
    diesel::update(follow_ups::table)
        .filter(follow_ups::customer_id.eq(customer))
        .filter(follow_ups::status.eq("open"))
        .filter(follow_ups::assignee_id.is_not_distinct_from(from))
        .set((
            follow_ups::assignee_id.eq(to),
            follow_ups::updated_at.eq(emit.now),
            follow_ups::version.eq(follow_ups::version + 1),
        ))
        .execute(conn)?;
    announce(conn, emit, customer, from, to)
}
