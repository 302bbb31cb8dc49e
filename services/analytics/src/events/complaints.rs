//! Complaint events: cases received, first responses (within SLA or not), closings (within
//! 24 / 48 h), reopenings, SLA breaches, surveys and paid claims, under the case's dimensions
//! and its handler. A case of any type, proactive or not, counts in the case-handling figures;
//! only a complaint a customer brought (not a proactive case) counts as one received
//! (`domain::cases`). A case's receipt and first response count under
//! its handler of now: an assignment moves them to the new handler (`db::cases::place`).

use chrono::{DateTime, Utc};
use diesel::PgConnection;
use kuaidi_shared::events::catalogue::{
    ClaimSettledV1, ComplaintAssignedV1, ComplaintClosedV1, ComplaintFirstRespondedV1,
    ComplaintReceivedV1, ComplaintReopenedV1, ComplaintSlaBreachedV1, ComplaintStatusChangedV1,
    SurveySubmittedV1,
};
use kuaidi_shared::events::Consumers;

use crate::db::cases::{self, CaseRef};
use crate::db::rollup;
use crate::domain::cases::{counted, first_response, on_receipt};
use crate::domain::facts::{closing, survey, Counters, Dims, Fact};

/// The case fields every later complaint event carries, and the event's time.
macro_rules! case_ref {
    ($e:expr, $at:expr) => {
        CaseRef {
            complaint_id: $e.complaint_id,
            tracking_number: $e.tracking_number.as_deref(),
            city: $e.city.as_deref(),
            category: $e.category.as_deref(),
            merchant_id: $e.merchant_id,
            customer_id: $e.customer_id,
            assignee_id: $e.assignee_id,
            at: Some($at),
            ..CaseRef::default()
        }
    };
}

pub fn register(c: Consumers) -> Consumers {
    c.on(|conn, _, e: ComplaintReceivedV1| received(conn, &e))
        .on(|conn, _, e: ComplaintAssignedV1| {
            cases::place(conn, &case_ref!(e, e.assigned_at)).map(drop)
        })
        .on(|conn, _, e: ComplaintFirstRespondedV1| first_responded(conn, &e))
        .on(|conn, _, e: ComplaintClosedV1| closed(conn, &e))
        .on(|conn, _, e: ComplaintReopenedV1| {
            let counters = Counters {
                reopened: 1,
                ..Counters::default()
            };
            count(conn, &case_ref!(e, e.reopened_at), e.reopened_at, counters)
        })
        .on(|conn, _, e: ComplaintSlaBreachedV1| {
            let counters = Counters {
                sla_breaches: 1,
                ..Counters::default()
            };
            count(conn, &case_ref!(e, e.occurred_at), e.occurred_at, counters)
        })
        .on(|conn, _, e: SurveySubmittedV1| {
            let case = case_ref!(e, e.submitted_at);
            count(conn, &case, e.submitted_at, survey(e.overall))
        })
        .on(|conn, _, e: ClaimSettledV1| claim_settled(conn, &e))
        .on(|conn, _, e: ComplaintStatusChangedV1| recategorised(conn, &e))
}

/// A category given or changed at triage moves the case's complaint to that category (the
/// slices have no category: only the 15-minute rows change).
fn recategorised(conn: &mut PgConnection, e: &ComplaintStatusChangedV1) -> anyhow::Result<()> {
    let Some(category) = e.category.as_deref() else {
        return Ok(());
    };
    if let Some((received_at, old, new)) = cases::recategorise(conn, e.complaint_id, category)? {
        let moved = |complaints| Counters {
            complaints,
            ..Counters::default()
        };
        rollup::shift(
            conn,
            &[
                Fact::new(received_at, old, moved(-1)),
                Fact::new(received_at, new, moved(1)),
            ],
        )?;
    }
    Ok(())
}

/// A case's first response (one a case): counted under the case's handler of now — none yet
/// when it was the triage's reply; the assignee then takes it over.
fn first_responded(conn: &mut PgConnection, e: &ComplaintFirstRespondedV1) -> anyhow::Result<()> {
    let placed = cases::place(conn, &case_ref!(e, e.responded_at))?;
    if !cases::first_responded(conn, e.complaint_id, e.responded_at, e.within_sla)? {
        return Ok(());
    }
    let dims = Dims {
        handler_id: placed.handler,
        ..placed.dims
    };
    let counters = counted(&placed.type_, first_response(e.within_sla));
    add(conn, e.responded_at, dims, counters)
}

/// Adds at `at`, under the case's dimensions, what `counters` count for a case of its type
/// (nothing when that is nothing).
fn count(
    conn: &mut PgConnection,
    case: &CaseRef,
    at: DateTime<Utc>,
    counters: Counters,
) -> anyhow::Result<()> {
    let placed = cases::place(conn, case)?;
    add(conn, at, placed.dims, counted(&placed.type_, counters))
}

/// Adds one fact to the rollups, unless it counts nothing.
fn add(
    conn: &mut PgConnection,
    at: DateTime<Utc>,
    dims: Dims,
    counters: Counters,
) -> anyhow::Result<()> {
    if counters == Counters::default() {
        return Ok(());
    }
    rollup::add(conn, &[Fact::new(at, dims, counters)])
}

fn received(conn: &mut PgConnection, e: &ComplaintReceivedV1) -> anyhow::Result<()> {
    let case = CaseRef {
        complaint_id: e.complaint_id,
        type_: Some(&e.type_),
        proactive: Some(e.proactive),
        tracking_number: e.tracking_number.as_deref(),
        city: e.city.as_deref(),
        category: e.category.as_deref(),
        merchant_id: e.merchant_id,
        customer_id: e.customer_id,
        assignee_id: None,
        received_at: Some(e.received_at),
        at: Some(e.received_at),
    };
    let placed = cases::place(conn, &case)?;
    // Under the case's handler: none yet, unless its assignment arrived first.
    let dims = Dims {
        handler_id: placed.handler,
        ..placed.dims
    };
    add(
        conn,
        e.received_at,
        dims,
        on_receipt(&placed.type_, placed.proactive),
    )
}

fn closed(conn: &mut PgConnection, e: &ComplaintClosedV1) -> anyhow::Result<()> {
    let case = CaseRef {
        type_: Some(&e.type_),
        ..case_ref!(e, e.closed_at)
    };
    let placed = cases::place(conn, &case)?;
    let closer = placed.dims.handler_id;
    let counters = counted(&placed.type_, closing(e.received_at, e.closed_at));
    add(conn, e.closed_at, placed.dims, counters)?;
    cases::close(conn, e.complaint_id, e.received_at, e.closed_at, closer)?;
    Ok(())
}

fn claim_settled(conn: &mut PgConnection, e: &ClaimSettledV1) -> anyhow::Result<()> {
    let paid = match (&e.outcome[..], &e.amount_paid) {
        ("paid", Some(amount)) => amount.to_minor().unwrap_or(0),
        _ => 0,
    };
    if paid == 0 {
        return Ok(());
    }
    crate::events::shipments::claim_paid(
        conn,
        &e.tracking_number,
        e.merchant_id,
        paid,
        e.settled_at,
    )
}
