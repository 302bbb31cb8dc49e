//! Who may see and change which customer (SPEC §3): merchants only their own account, end
//! customers only the file holding their phone, agents may write their own and unowned
//! customers (and make no one but themselves an owner) and see PII of those they own; value
//! tiers are set by hand by admins, managers and supervisors.

use diesel::PgConnection;
use kuaidi_shared::auth::{Principal, Role};
use kuaidi_shared::ApiError;
use uuid::Uuid;

use crate::db::customers::{self as repo, CustomerRow};
use crate::db::follow_ups::BirthdayCare;
use crate::db::rules::BIRTHDAY_CARE;

/// Whether `caller` sees PII unmasked (SPEC §3 "customer PII unmasked").
pub fn sees_pii(caller: &Principal, row: &CustomerRow) -> bool {
    sees_pii_of(caller, row.owner_id, row.merchant_id)
}

/// Whether `caller` sees unmasked the PII of a customer owned by `owner` for `merchant`.
pub fn sees_pii_of(caller: &Principal, owner: Option<Uuid>, merchant: Option<Uuid>) -> bool {
    match caller.role {
        Role::Admin | Role::Manager | Role::Supervisor => true,
        Role::Agent => caller.user_id().is_some() && caller.user_id() == owner,
        Role::Merchant => caller.merchant_id.is_some() && caller.merchant_id == merchant,
        // Reached only after the file was matched to the customer's own phone.
        Role::Customer => true,
        _ => false,
    }
}

/// The birthday-care tasks `caller` is shown across customers: a task's due date is the
/// customer's birthday, so only those of customers whose PII `caller` sees unmasked.
pub fn birthday_care_across(caller: &Principal) -> BirthdayCare {
    match (caller.role, caller.user_id()) {
        (Role::Admin | Role::Manager | Role::Supervisor, _) => BirthdayCare::All,
        (Role::Agent, Some(me)) => BirthdayCare::OwnedBy(me),
        _ => BirthdayCare::None,
    }
}

/// The birthday-care tasks of the customer `row` that `caller` is shown (as above).
pub fn birthday_care_of(caller: &Principal, row: &CustomerRow) -> BirthdayCare {
    if sees_pii(caller, row) {
        BirthdayCare::All
    } else {
        BirthdayCare::None
    }
}

/// Whether `caller` is shown a task of `rule` on the customer `row` (as above).
pub fn shows_task(caller: &Principal, rule: Option<&str>, row: &CustomerRow) -> bool {
    rule != Some(BIRTHDAY_CARE) || sees_pii(caller, row)
}

/// Whether `row` is visible to `caller` (who holds `CustomersRead`).
pub fn visible(
    conn: &mut PgConnection,
    caller: &Principal,
    row: &CustomerRow,
) -> Result<bool, ApiError> {
    Ok(match caller.role {
        Role::Merchant => caller.merchant_id.is_some() && caller.merchant_id == row.merchant_id,
        Role::Customer => match caller.phone_hash.as_deref() {
            Some(h) => repo::holds_identity(conn, row.id, "phone", h)?,
            None => false,
        },
        _ => true,
    })
}

/// The live customer `id` as `caller` may see it, else 404.
pub fn load(
    conn: &mut PgConnection,
    caller: &Principal,
    id: Uuid,
) -> Result<CustomerRow, ApiError> {
    let row = repo::find(conn, id)?;
    seen(conn, caller, row)
}

/// The customer `id`, erased or not, as `caller` may see it, else 404: an erased file is read
/// anonymised (SPEC §4 "keeps aggregates"), never written.
pub fn load_any(
    conn: &mut PgConnection,
    caller: &Principal,
    id: Uuid,
) -> Result<CustomerRow, ApiError> {
    let row = repo::find_any(conn, id)?;
    seen(conn, caller, row)
}

fn seen(
    conn: &mut PgConnection,
    caller: &Principal,
    row: Option<CustomerRow>,
) -> Result<CustomerRow, ApiError> {
    match row {
        Some(row) if visible(conn, caller, &row)? => Ok(row),
        _ => Err(ApiError::NotFound("customer")),
    }
}

/// `409 customer_erased` for an erased file: it reads anonymised (`GET` answers it, with
/// `erased_at`) but can no longer be changed.
pub fn not_erased(row: &CustomerRow) -> Result<(), ApiError> {
    match row.erased_at {
        Some(at) => Err(ApiError::conflict(
            "customer_erased",
            format!(
                "customer {} was erased at {}: its file reads anonymised and can no longer be changed",
                row.id,
                at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
            ),
        )),
        None => Ok(()),
    }
}

/// Customer `id` locked for its erasure by `caller` (staff), with the rights and refusals of
/// [`lock_for_write`]; `None` when it was erased already (erasing again changes nothing).
pub fn lock_for_erasure(
    conn: &mut PgConnection,
    caller: &Principal,
    id: Uuid,
) -> Result<Option<CustomerRow>, ApiError> {
    let row = repo::lock_any(conn, id)?.ok_or(ApiError::NotFound("customer"))?;
    if !visible(conn, caller, &row)? {
        return Err(ApiError::NotFound("customer"));
    }
    may_write(caller, &row)?;
    if row.erased_at.is_some() {
        return Ok(None);
    }
    lock_for_write(conn, caller, id).map(Some)
}

/// The live customer `id` locked for a write by `caller` (staff): 404 when unseen, 403 for an
/// agent on another agent's customer, 409 when erased ([`not_erased`]) or merged away.
pub fn lock_for_write(
    conn: &mut PgConnection,
    caller: &Principal,
    id: Uuid,
) -> Result<CustomerRow, ApiError> {
    let row = repo::lock_any(conn, id)?.ok_or(ApiError::NotFound("customer"))?;
    if !visible(conn, caller, &row)? {
        return Err(ApiError::NotFound("customer"));
    }
    may_write(caller, &row)?;
    not_erased(&row)?;
    if let Some(survivor) = row.merged_into {
        return Err(ApiError::conflict(
            "customer_merged",
            format!("this customer was merged into {survivor}; change that one"),
        ));
    }
    Ok(row)
}

/// The customer a touchpoint (interaction, follow-up) of `id` goes to, locked for a write by
/// `caller`: `id` itself, or the survivor it was merged into, so that no touchpoint is lost on
/// a merged duplicate (SPEC §4). Rights are checked on the customer written; an erased one is
/// a 409, as in [`lock_for_write`].
pub fn lock_for_touchpoint(
    conn: &mut PgConnection,
    caller: &Principal,
    id: Uuid,
) -> Result<CustomerRow, ApiError> {
    let named = repo::find_any(conn, id)?.ok_or(ApiError::NotFound("customer"))?;
    let Some(survivor) = named.merged_into else {
        return lock_for_write(conn, caller, id);
    };
    if !visible(conn, caller, &named)? {
        return Err(ApiError::NotFound("customer"));
    }
    let row = lock_for_write(conn, caller, survivor)?;
    // An undo holds the survivor's lock: once it is ours, `id` is either still merged into it
    // or was released before, and then is written itself.
    if repo::find(conn, id)?.and_then(|r| r.merged_into) == Some(survivor) {
        Ok(row)
    } else {
        lock_for_write(conn, caller, id)
    }
}

/// Staff write rights on `row`: agents their own and unowned customers; end customers only
/// through the routes that allow them.
pub fn may_write(caller: &Principal, row: &CustomerRow) -> Result<(), ApiError> {
    match caller.role {
        Role::Admin | Role::Manager | Role::Supervisor | Role::Customer => Ok(()),
        Role::Agent if row.owner_id.is_none() || row.owner_id == caller.user_id() => Ok(()),
        Role::Agent => Err(ApiError::Forbidden(
            "agents may change only their own and unowned customers".into(),
        )),
        _ => Err(ApiError::Forbidden("may not change customers".into())),
    }
}

/// Whether `caller` may change a customer's owner from `from` to `to` (on creation `from` is
/// `None`): agents write their own and unowned customers (SPEC §3), so they may take an unowned
/// customer, keep or give up their own, but never make someone else the owner — neither of a
/// new customer nor of one of theirs (that would be creating one owned by another in two
/// steps). Handing a customer to another account manager is for admins, managers and
/// supervisors (`PUT /owner`, a handover).
pub fn may_set_owner(
    caller: &Principal,
    from: Option<Uuid>,
    to: Option<Uuid>,
) -> Result<(), ApiError> {
    match to {
        Some(owner) if caller.role == Role::Agent && from != to && caller.user_id() != to => {
            Err(ApiError::Forbidden(format!(
                "agents may make only themselves the owner of a customer, not {owner}; \
                 a manager, supervisor or admin hands customers to others"
            )))
        }
        _ => Ok(()),
    }
}

/// A value tier is set by hand (or given back to the rules, any of `changed` naming
/// `value_tier…`) by admins, managers and supervisors only: it decides entitlements such as
/// fast-lane complaints.
pub fn may_set_tier(who: &Principal, changed: &[String]) -> Result<(), ApiError> {
    let by_hand = changed.iter().any(|f| f.starts_with("value_tier"));
    if by_hand && !matches!(who.role, Role::Admin | Role::Manager | Role::Supervisor) {
        return Err(ApiError::Forbidden(
            "only admins, managers and supervisors set a value tier by hand".into(),
        ));
    }
    Ok(())
}

/// Refuses end customers (who may change only their consents and preferences).
pub fn staff_only(caller: &Principal) -> Result<(), ApiError> {
    if caller.role == Role::Customer {
        Err(ApiError::Forbidden(
            "an end customer may change only their own consents and preferences".into(),
        ))
    } else {
        Ok(())
    }
}
