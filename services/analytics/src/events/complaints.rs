//! Complaint events: cases received, first responses (within SLA or not), closings (within
//! 24 / 48 h), reopenings, SLA breaches, surveys and paid claims, under the case's dimensions
//! and its handler. A case of any type counts in the case-handling figures; only a complaint
//! counts as one received (`domain::cases`).

use chrono::{DateTime, Utc};
use diesel::PgConnection;
use kuaidi_shared::events::catalogue::{
    ClaimSettledV1, ComplaintAssignedV1, ComplaintClosedV1, ComplaintFirstRespondedV1,
    ComplaintReceivedV1, ComplaintReopenedV1, ComplaintSlaBreachedV1, ComplaintStatusChangedV1,
    SurveySubmittedV1,
};
use kuaidi_shared::events::Consumers;
use uuid::Uuid;

use crate::db::cases::{self, CaseRef};
use crate::db::rollup;
use crate::domain::cases::{counted, on_receipt};
use crate::domain::facts::{closing, survey, Counters, Dims, Fact};

/// The case fields every later complaint event carries.
macro_rules! case_ref {
    ($e:expr) => {
        CaseRef {
            complaint_id: $e.complaint_id,
            tracking_number: $e.tracking_number.as_deref(),
            city: $e.city.as_deref(),
            category: $e.category.as_deref(),
            merchant_id: $e.merchant_id,
            customer_id: $e.customer_id,
            assignee_id: $e.assignee_id,
            ..CaseRef::default()
        }
    };
}

pub fn register(c: Consumers) -> Consumers {
    c.on(|conn, _, e: ComplaintReceivedV1| received(conn, &e))
        .on(|conn, _, e: ComplaintAssignedV1| cases::place(conn, &case_ref!(e)).map(drop))
        .on(|conn, _, e: ComplaintFirstRespondedV1| {
            let counters = Counters {
                first_responses: 1,
                first_responses_in_sla: i64::from(e.within_sla),
                ..Counters::default()
            };
            count(conn, &case_ref!(e), e.responded_at, counters)
        })
        .on(|conn, _, e: ComplaintClosedV1| closed(conn, &e))
        .on(|conn, _, e: ComplaintReopenedV1| {
            let counters = Counters {
                reopened: 1,
                ..Counters::default()
            };
            count(conn, &case_ref!(e), e.reopened_at, counters)
        })
        .on(|conn, _, e: ComplaintSlaBreachedV1| {
            let counters = Counters {
                sla_breaches: 1,
                ..Counters::default()
            };
            count(conn, &case_ref!(e), e.occurred_at, counters)
        })
        .on(|conn, _, e: SurveySubmittedV1| {
            count(conn, &case_ref!(e), e.submitted_at, survey(e.overall))
        })
        .on(|conn, _, e: ClaimSettledV1| claim_settled(conn, &e))
        .on(|conn, _, e: ComplaintStatusChangedV1| recategorised(conn, &e))
}

/// A category given or changed at triage moves the case's complaint to that category.
fn recategorised(conn: &mut PgConnection, e: &ComplaintStatusChangedV1) -> anyhow::Result<()> {
    let Some(category) = e.category.as_deref() else {
        return Ok(());
    };
    if let Some((received_at, old, new)) = cases::recategorise(conn, e.complaint_id, category)? {
        let moved = |complaints| Counters {
            complaints,
            ..Counters::default()
        };
        rollup::add(
            conn,
            &[
                Fact::new(received_at, old, moved(-1)),
                Fact::new(received_at, new, moved(1)),
            ],
        )?;
    }
    Ok(())
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
        tracking_number: e.tracking_number.as_deref(),
        city: e.city.as_deref(),
        category: e.category.as_deref(),
        merchant_id: e.merchant_id,
        customer_id: e.customer_id,
        assignee_id: None,
        received_at: Some(e.received_at),
    };
    let placed = cases::place(conn, &case)?;
    // Received cases count before anyone handles them.
    let dims = Dims {
        handler_id: Uuid::nil(),
        ..placed.dims
    };
    add(conn, e.received_at, dims, on_receipt(&placed.type_))
}

fn closed(conn: &mut PgConnection, e: &ComplaintClosedV1) -> anyhow::Result<()> {
    let case = CaseRef {
        type_: Some(&e.type_),
        ..case_ref!(e)
    };
    count(
        conn,
        &case,
        e.closed_at,
        closing(e.received_at, e.closed_at),
    )?;
    cases::close(conn, e.complaint_id, e.received_at, e.closed_at)?;
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
