//! Claims: filing with the payable amount by rule, assessment (which computes it again, as of
//! its own time), approval within the limit, rejection, payment, and the ageing job that escalates what is left unsettled (*default* 30
//! days).

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use kuaidi_shared::auth::Principal;
use kuaidi_shared::clock::new_id;
use kuaidi_shared::money::Money;
use kuaidi_shared::request::RequestContext;
use kuaidi_shared::{ApiError, FieldError};
use serde_json::Value;
use uuid::Uuid;

use crate::configuration::Rules;
use crate::db::claims::{self as repo, ClaimRow};
use crate::db::complaints::ComplaintRow;
use crate::db::schema::complaints;
use crate::db::shipments::{self, ShipmentRow};
use crate::domain::claims::{overdue_before, payable, punctuality, transition, Parcel};
use crate::domain::fields::Fields;
use crate::domain::vocab::{ClaimAction, ClaimKind, ClaimStatus};
use crate::events::emit::{cities, claim_filed, claim_settled, Emitter, Facts};

/// Files a claim: the shipment must be known, and the case (if named) must concern it.
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
    let shipment = shipments::find(conn, &tn)?;
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
    let payable = payable_at(conn, &s, kind, claimed_minor, now, rules)?;
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

/// What a claim of `kind` for `claimed` on shipment `s` may be paid by rule at `now`: a late
/// one is judged by the shipment's first delivery, if known, else by its promise and `now`.
fn payable_at(
    conn: &mut PgConnection,
    s: &ShipmentRow,
    kind: ClaimKind,
    claimed: i64,
    now: DateTime<Utc>,
    rules: &Rules,
) -> QueryResult<i64> {
    let delivery = shipments::delivery(conn, &s.tracking_number)?;
    let parcel = Parcel {
        service_level: &s.service_level,
        freight: s.freight_minor,
        declared_value: s.declared_value_minor,
        punctuality: punctuality(s.promised_at, delivery, now),
    };
    Ok(payable(
        kind,
        parcel,
        claimed,
        rules.claims.freight_multiple,
    ))
}

/// An amount in the claim's currency: `{amount, currency}` or a bare decimal string.
fn amount(f: &mut Fields, currency: &str) -> Option<i64> {
    let raw = f.raw().get("amount").cloned()?;
    let money = match raw {
        Value::String(s) => Money {
            amount: s,
            currency: currency.to_owned(),
        },
        Value::Null => return None,
        other => serde_json::from_value(other).unwrap_or(Money {
            amount: String::new(),
            currency: String::new(),
        }),
    };
    match money.to_minor() {
        Ok(m) if money.currency != currency => {
            f.errors.push(FieldError::new(
                "amount",
                format!(
                    "must be in {currency} (got {m} minor units of {})",
                    money.currency
                ),
            ));
            None
        }
        Ok(m) if m > 0 => Some(m),
        Ok(_) => {
            f.errors
                .push(FieldError::new("amount", "must be greater than zero"));
            None
        }
        Err(e) => {
            f.errors.push(FieldError::new("amount", e));
            None
        }
    }
}

/// An action on a claim: `POST /claims/{id}/actions/{action}` with its body.
pub struct Request {
    pub id: Uuid,
    pub action: ClaimAction,
    pub body: Value,
}

/// Applies `action` to a claim the caller may see. `assess` computes the payable amount again
/// as of `now` (a parcel delivered, or past its promise, since the claim was filed), and that
/// is the limit of the approval that follows.
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
    let from: ClaimStatus = row
        .status
        .parse()
        .map_err(|_| anyhow::anyhow!("stored claim status {}", row.status))?;
    let to = transition(from, action).ok_or_else(|| {
        let allowed: Vec<ClaimAction> = <ClaimAction as strum::VariantArray>::VARIANTS
            .iter()
            .copied()
            .filter(|a| transition(from, *a).is_some())
            .collect();
        super::actions::illegal_transition(from, action, &allowed)
    })?;
    let mut f = Fields::new(body);
    match action {
        ClaimAction::Assess => {
            let kind: ClaimKind = row
                .kind
                .parse()
                .map_err(|_| anyhow::anyhow!("stored claim kind {}", row.kind))?;
            let s = shipments::find(conn, &row.tracking_number)?
                .ok_or_else(|| anyhow::anyhow!("claim {} names no projected shipment", row.id))?;
            row.amount_payable_minor =
                payable_at(conn, &s, kind, row.amount_claimed_minor, now, rules)?;
        }
        ClaimAction::Approve => {
            let approved = amount(&mut f, &row.currency).unwrap_or(row.amount_payable_minor);
            if approved > row.amount_payable_minor {
                f.errors.push(FieldError::new(
                    "amount",
                    format!(
                        "must not exceed the payable amount {}",
                        Money::from_minor(row.amount_payable_minor, &row.currency).amount
                    ),
                ));
            }
            row.amount_approved_minor = Some(approved);
        }
        ClaimAction::Reject => row.reason = f.text("reason", true),
        ClaimAction::Pay => row.reference = f.text("reference", true),
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
