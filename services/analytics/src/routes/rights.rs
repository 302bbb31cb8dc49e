//! What each analytics role may see beyond the capability (SPEC §3: merchants their own KPIs,
//! agents their own case figures).

use kuaidi_shared::auth::{Principal, Role};
use kuaidi_shared::ApiError;
use uuid::Uuid;

/// Reports over customers or places: everyone's for staff, a merchant's own; not for agents.
pub fn merchant_scope(caller: &Principal) -> Result<Option<Uuid>, ApiError> {
    match caller.role {
        Role::Merchant => caller
            .merchant_id
            .map(Some)
            .ok_or_else(|| ApiError::Forbidden("merchant token without merchant_id".into())),
        Role::Agent => Err(ApiError::Forbidden(
            "agents see their own case figures only".into(),
        )),
        _ => Ok(None),
    }
}

/// [`merchant_scope`] narrowed to the merchant a query names: staff any one (or everyone), a
/// merchant its own — another merchant's is a `404`, as for any other tenant's resource.
pub fn merchant_named(caller: &Principal, named: Option<Uuid>) -> Result<Option<Uuid>, ApiError> {
    match (merchant_scope(caller)?, named) {
        (Some(own), Some(other)) if other != own => Err(ApiError::NotFound("merchant")),
        (Some(own), _) => Ok(Some(own)),
        (None, named) => Ok(named),
    }
}

/// Company-wide operations reports (alerts, staff): not for merchants.
pub fn not_merchant(caller: &Principal) -> Result<(), ApiError> {
    if caller.role == Role::Merchant {
        return Err(ApiError::Forbidden(
            "merchants see their own KPIs only".into(),
        ));
    }
    Ok(())
}

/// Company-wide alerts: staff with full analytics only.
pub fn full_analytics(caller: &Principal) -> Result<(), ApiError> {
    not_merchant(caller)?;
    merchant_scope(caller).map(drop)
}
