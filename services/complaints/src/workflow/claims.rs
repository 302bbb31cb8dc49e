//! Claims: filing with the payable amount by rule and by what the other claims on the parcel
//! hold of its cap (`parcel`), assessment (which computes it again, as of its own time),
//! approval within the limit, rejection, payment, and the ageing job that escalates what is left
//! unsettled (*default* 30 days).

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use kuaidi_shared::auth::Principal;
use kuaidi_shared::clock::new_id;
use kuaidi_shared::request::RequestContext;
use kuaidi_shared::{ApiError, FieldError};
use serde_json::Value;
use uuid::Uuid;

use crate::configuration::Rules;
use crate::db::claims::{self as repo, ClaimRow};
use crate::db::complaints::ComplaintRow;
use crate::db::schema::complaints;
use crate::domain::claims::caps::{self, Holding};
use crate::domain::claims::{overdue_before, payable, transition};
use crate::domain::fields::Fields;
use crate::domain::vocab::{ClaimAction, ClaimKind, ClaimStatus};
use crate::events::emit::{cities, claim_filed, claim_settled, Emitter, Facts};

mod parcel;
use parcel::{duplicate, holding, holdings, over_cap, over_limit, parcel_at, standing};

/// Files a claim: the shipment must be known, and the case (if named) must concern it. The
/// parcel is locked first; a claim of a kind already open on it is a `409 duplicate_claim`, and
/// the payable amount is what the rule allows less what the other claims hold of the parcel's
/// cap (`domain::claims::caps`).
pub fn file(
    conn: &mut PgConnection,
    body: Value,
    who: &Principal,
    ctx: &RequestContext,
    now: DateTime<Utc>,
    rules: &Rules,
) -> Result<ClaimRow, ApiError> {
    let mut f = Fields::new(body);
    let complaint_id = f.uuid("complaint_id", false);
    let tracking_number = f
        .text("tracking_number", true)
        .map(|t| t.to_ascii_uppercase());
    let kind = f.one_of::<ClaimKind>("kind", true, &ClaimKind::listed());
    let claimed = f.money("amount_claimed", true);
    let (Some(tn), Some(kind), Some((claimed, claimed_minor)), true) =
        (tracking_number, kind, claimed, f.ok())
    else {
        return Err(ApiError::Validation(f.errors));
    };
    let case = match complaint_id {
        Some(id) => Some(crate::db::complaints::visible_case(conn, who, id, false)?),
        None => None,
    };
    let mut errors = Vec::new();
    if case
        .as_ref()
        .is_some_and(|c| c.tracking_number.as_deref() != Some(tn.as_str()))
    {
        errors.push(FieldError::new(
            "tracking_number",
            "the case does not concern this shipment",
        ));
    }
    let shipment = repo::lock_parcel(conn, &tn)?;
    match &shipment {
        None => errors.push(FieldError::new(
            "tracking_number",
            "no such shipment is known",
        )),
        Some(s) if s.currency != claimed.currency => errors.push(FieldError::new(
            "amount_claimed",
            format!("must be in the shipment's currency {}", s.currency),
        )),
        Some(_) => {}
    }
    let Some(s) = shipment.filter(|_| errors.is_empty()) else {
        return Err(ApiError::Validation(errors));
    };
    let others = holdings(conn, &tn, None)?;
    if let Some(open) = others.iter().find(|c| c.kind == kind && c.open()) {
        return Err(duplicate(open));
    }
    let parcel = parcel_at(conn, &s, now)?;
    let held = caps::taken(&others, kind).held;
    let m = rules.claims.freight_multiple;
    let payable = payable(kind, parcel, claimed_minor, m, held);
    let row = ClaimRow {
        id: new_id(),
        complaint_id,
        tracking_number: tn,
        kind: kind.to_string(),
        status: ClaimStatus::Filed.to_string(),
        currency: s.currency.clone(),
        amount_claimed_minor: claimed_minor,
        amount_payable_minor: payable,
        amount_approved_minor: None,
        customer_id: case
            .as_ref()
            .and_then(|c| c.customer_id)
            .or(s.shipper_customer_id),
        merchant_id: s.merchant_id,
        reason: None,
        reference: None,
        escalated: false,
        escalated_at: None,
        filed_by: who.sub.clone(),
        filed_at: now,
        settled_at: None,
        updated_at: now,
        version: 1,
    };
    repo::insert(conn, &row)?;
    let mut em = Emitter::new(ctx, now);
    em.push(row.id, &claim_filed(&row, claimed, now));
    em.flush(conn)?;
    Ok(row)
}

/// The `amount` of an approval: money in the claim's currency. A bare string or a number is a
/// body of the wrong JSON type (SPEC §2), refused like any other bad amount.
fn approval(f: &mut Fields, currency: &str) -> Option<i64> {
    let (money, minor) = f.money("amount", false)?;
    if money.currency != currency {
        f.errors.push(FieldError::new(
            "amount",
            format!("must be in the claim's currency {currency}"),
        ));
        return None;
    }
    Some(minor)
}

/// An action on a claim: `POST /claims/{id}/actions/{action}` with its body.
pub struct Request {
    pub id: Uuid,
    pub action: ClaimAction,
    pub body: Value,
}

/// Applies `action` to a claim the caller may see. `assess` computes the payable amount again
/// as of `now` (a parcel delivered, or past its promise, since the claim was filed) and of what
/// the other claims on the parcel hold; that is the limit of the approval that follows, which is
/// checked again against what the approved claims leave of the parcel's cap, as a payment is
/// against what the paid ones leave (claims stored before caps were kept per parcel): each
/// with the parcel locked (`domain::claims::caps`).
pub fn act(
    conn: &mut PgConnection,
    req: Request,
    who: &Principal,
    ctx: &RequestContext,
    now: DateTime<Utc>,
    rules: &Rules,
) -> Result<ClaimRow, ApiError> {
    let Request { id, action, body } = req;
    let mut row = repo::find(conn, id, true)?
        .filter(|c| visible(who, c))
        .ok_or(ApiError::NotFound("claim"))?;
    let Holding {
        kind, status: from, ..
    } = holding(&row)?;
    let to = transition(from, action).ok_or_else(|| {
        let allowed: Vec<ClaimAction> = <ClaimAction as strum::VariantArray>::VARIANTS
            .iter()
            .copied()
            .filter(|a| transition(from, *a).is_some())
            .collect();
        super::actions::illegal_transition(from, action, &allowed)
    })?;
    let mut f = Fields::new(body);
    let m = rules.claims.freight_multiple;
    match action {
        ClaimAction::Assess => {
            let st = standing(conn, &row, kind)?;
            let parcel = parcel_at(conn, &st.shipment, now)?;
            let claimed = row.amount_claimed_minor;
            row.amount_payable_minor = payable(kind, parcel, claimed, m, st.others.held);
        }
        ClaimAction::Approve => {
            let given = approval(&mut f, &row.currency);
            if f.ok() {
                let st = standing(conn, &row, kind)?;
                let cap = caps::cap(kind, parcel_at(conn, &st.shipment, now)?, m);
                let room = cap - st.others.decided;
                let approved = given.unwrap_or(row.amount_payable_minor);
                let (payable, currency) = (row.amount_payable_minor, &row.currency);
                if let Some(why) = over_limit(approved, payable, room, currency) {
                    f.errors.push(FieldError::new("amount", why));
                }
                row.amount_approved_minor = Some(approved);
            }
        }
        ClaimAction::Reject => row.reason = f.text("reason", true),
        ClaimAction::Pay => {
            row.reference = f.text("reference", true);
            let st = standing(conn, &row, kind)?;
            let cap = caps::cap(kind, parcel_at(conn, &st.shipment, now)?, m);
            let amount = row.amount_approved_minor.unwrap_or(0);
            if f.ok() && st.others.paid + amount > cap {
                return Err(over_cap(st.others.paid, amount, cap, &row.currency));
            }
        }
    }
    if !f.ok() {
        return Err(ApiError::Validation(f.errors));
    }
    row.status = to.to_string();
    row.updated_at = now;
    row.version += 1;
    if matches!(to, ClaimStatus::Paid | ClaimStatus::Rejected) {
        row.settled_at = Some(now);
        let mut em = Emitter::new(ctx, now);
        em.push(row.id, &claim_settled(&row, to, now));
        em.flush(conn)?;
    }
    repo::save(conn, &row)?;
    Ok(row)
}

/// Who sees a claim: staff and analysts all, merchants their own.
pub fn visible(who: &Principal, row: &ClaimRow) -> bool {
    use kuaidi_shared::auth::Role;
    match who.role {
        Role::Admin | Role::Manager | Role::Supervisor | Role::Agent | Role::Analyst => true,
        Role::Merchant => who.merchant_id.is_some() && who.merchant_id == row.merchant_id,
        _ => false,
    }
}

/// The ageing job: claims unsettled `ageing_days` after filing (*default* 30) are escalated,
/// once, and so is the open case they belong to (`complaint.escalated`, automatic). Set-based.
pub fn ageing(conn: &mut PgConnection, now: DateTime<Utc>, rules: &Rules) -> anyhow::Result<usize> {
    let days = rules.claims.ageing_days;
    let aged = repo::escalate_aged(conn, overdue_before(now, days), now)?;
    let case_ids: Vec<Uuid> = aged.iter().filter_map(|(_, c)| *c).collect();
    if case_ids.is_empty() {
        return Ok(aged.len());
    }
    let cases: Vec<ComplaintRow> = diesel::update(
        complaints::table
            .filter(complaints::id.eq_any(&case_ids))
            .filter(complaints::status.ne("closed"))
            .filter(complaints::escalation_level.lt(crate::workflow::actions::TOP_LEVEL)),
    )
    .set((
        complaints::escalation_level.eq(complaints::escalation_level + 1),
        complaints::version.eq(complaints::version + 1),
        complaints::updated_at.eq(now),
    ))
    .returning(ComplaintRow::as_returning())
    .get_results(conn)?;
    let ctx = RequestContext::detached();
    let mut em = Emitter::new(&ctx, now);
    let cities = cities(conn, &cases)?;
    let reason = format!("claim unsettled after {days} days");
    let mut trail = super::escalation::Trail::load(conn)?;
    for row in &cases {
        let facts = Facts::of(
            row,
            row.tracking_number
                .as_ref()
                .and_then(|t| cities.get(t).cloned()),
        );
        trail.escalated(&mut em, row, &facts, reason.clone(), now);
    }
    trail.write(conn)?;
    em.flush(conn)?;
    Ok(aged.len())
}
