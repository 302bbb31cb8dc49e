//! `/api/v1/webhooks`: subscriptions, their deliveries, and the `:test`, `:replay` and
//! `:redeliver` actions. A merchant's subscriptions belong to its merchant id, an app's or
//! admin's to the token subject; anyone else's subscription is a 404.

use diesel::PgConnection;
use kuaidi_shared::auth::{Principal, Role};
use kuaidi_shared::ApiError;
use uuid::Uuid;

use crate::db::webhooks::{self as repo, Owner, SubscriptionRow};

pub mod actions;
pub mod create;
pub mod delete;
pub mod deliveries;
pub mod list;
pub mod view;

/// Whose subscriptions the caller manages.
pub(crate) fn owner_of(caller: &Principal) -> Result<Owner, ApiError> {
    match caller.role {
        Role::Merchant => caller
            .merchant_id
            .map(Owner::Merchant)
            .ok_or_else(|| ApiError::Forbidden("the merchant token names no merchant".into())),
        _ => Ok(Owner::Subject(caller.sub.clone())),
    }
}

/// The caller's subscription `id`, or 404.
pub(crate) fn owned(
    conn: &mut PgConnection,
    id: Uuid,
    owner: &Owner,
) -> Result<SubscriptionRow, ApiError> {
    repo::find_subscription(conn, id, owner)?.ok_or(ApiError::NotFound("webhook"))
}
