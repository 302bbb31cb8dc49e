//! `PATCH /api/v1/customers/{id}`.

use actix_web::{web, HttpRequest, HttpResponse};
use diesel::PgConnection;
use kuaidi_shared::auth::Role;
use kuaidi_shared::capabilities::{caps, Authorized};
use kuaidi_shared::db;
use kuaidi_shared::events::Outbox;
use kuaidi_shared::extract::{Json, Query};
use kuaidi_shared::request::RequestContext;
use kuaidi_shared::ApiError;
use serde::Deserialize;
use utoipa::IntoParams;
use uuid::Uuid;

use super::patch;
use super::view;
use super::{check_if_match, commit_edit, create::duplicate, if_match};
use crate::api::customers::{Customer, TierSource, UpdateCustomer};
use crate::api::problems::{
    BadProfile, EditConflict, NoSuchCustomer, NotTheirsToChange, StaleIfMatch,
};
use crate::db::{activity, customers as repo};
use crate::domain::new_customer::NewCustomer;
use crate::events::emit::Emitter;
use crate::workflow::{access, ownership, profile};
use kuaidi_shared::deps::Deps;

/// Query of `PATCH /api/v1/customers/{id}`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UpdateParams {
    /// Save even when the edit gives the customer the phone, email or credit code of another
    /// customer.
    #[serde(default)]
    pub allow_duplicate: bool,
}

/// The `409 duplicate_customer` when an edit of `changed` fields that carry identities
/// (phones, emails, the company's credit code) leaves customer `id` sharing one of `digests`
/// with another live customer.
fn refuse_duplicates(
    conn: &mut PgConnection,
    id: Uuid,
    digests: &[repo::Digest],
    changed: &[String],
) -> Result<(), ApiError> {
    let identities = ["phones", "emails", "company"];
    if !changed.iter().any(|f| identities.contains(&f.as_str())) {
        return Ok(());
    }
    let matches = repo::matching(conn, digests, Some(id))?;
    if matches.is_empty() {
        Ok(())
    } else {
        Err(duplicate(&matches))
    }
}

/// Edits a customer: the fields given replace the stored ones and the whole result is
/// validated as a creation would be. `If-Match` with a stale version is a `412`. An end
/// customer may change only their own `preferences`. A new `owner_id` is an owner change as
/// by `PUT /owner`: the open follow-ups go along and `customer.owner_changed` is emitted
/// (besides `customer.updated`); an agent may name only themselves (`403` for anyone else, as
/// on `PUT /owner`). An edit never makes its editor the owner.
/// `birthday` and `family` need the customer's `profile_extras` consent (`422` without); a new
/// birthday takes its birthday care along (the open task for the old date is cancelled, the
/// one for the new date planned at once when it is within the care rule's lead). An erased
/// customer (which `GET` still answers, anonymised) is a `409` `customer_erased`. A
/// `value_tier` sets the tier by hand (admins, managers, supervisors; `403` for others) and
/// emits `customer.tier_changed` when it changes; `value_tier_source: "rules"` gives it back
/// to the classification rules (the tier stays until their next run). An edit of `phones`,
/// `emails` or `company` that gives the customer another customer's phone, email or credit
/// code is a `409` `duplicate_customer` naming the matches, unless `allow_duplicate=true`.
#[utoipa::path(patch, path = "/api/v1/customers/{id}", tag = "customers",
    params(("id" = Uuid, Path, description = "Customer id"), UpdateParams, ("If-Match" = Option<String>, Header, description = "ETag of the version edited")),
    request_body = UpdateCustomer,
    responses((status = 200, description = "The edited customer", body = Customer),
        NotTheirsToChange, NoSuchCustomer, EditConflict, StaleIfMatch, BadProfile))]
pub async fn update_customer(
    req: HttpRequest,
    caller: Authorized<caps::CustomersWrite>,
    ctx: RequestContext,
    path: web::Path<Uuid>,
    params: Query<UpdateParams>,
    body: Json<UpdateCustomer>,
    deps: Deps,
) -> Result<HttpResponse, ApiError> {
    let (id, now, who) = (
        path.into_inner(),
        deps.clock.now_micros(),
        caller.principal.clone(),
    );
    let allow_duplicate = params.allow_duplicate;
    let (pii, tag) = (deps.pii.clone(), if_match(&req));
    let body = db::transaction(&deps.pool, move |conn| {
        let mut row = access::lock_for_write(conn, &who, id)?;
        check_if_match(tag.as_deref(), row.version)?;
        let pin = body.value_tier_source == Some(TierSource::Manual);
        let (mut edited, changed) =
            patch::apply(profile::profile_of(&row, &pii)?, body.into_inner());
        if pin && edited.value_tier.is_none() {
            edited.value_tier = Some(row.value_tier.clone());
        }
        if who.role == Role::Customer && !patch::customer_may_edit(&changed) {
            return Err(ApiError::Forbidden(
                "an end customer may change only their own preferences".into(),
            ));
        }
        access::may_set_tier(&who, &changed)?;
        access::may_set_owner(&who, row.owner_id, edited.owner_id)?;
        let consented = profile::consented(&row, "profile_extras");
        patch::check_extras(&changed, consented)?;
        let new = NewCustomer::parse(edited, consented)?;
        let digests = profile::digests(&new, &pii);
        if !allow_duplicate {
            refuse_duplicates(conn, id, &digests, &changed)?;
        }
        let (owner_before, birthday_before) = (row.owner_id, row.birthday_index.clone());
        let tier_before = row.value_tier.clone();
        profile::apply(&mut row, &new, &pii)?;
        let emit = Emitter { ctx: &ctx, now };
        ownership::reassign(conn, &emit, id, owner_before, row.owner_id)?;
        if row.value_tier != tier_before {
            let spend = activity::spend_12m(conn, id, now)?;
            Outbox::enqueue(conn, &emit.tier_changed(&row, &tier_before, spend))?;
        }
        repo::replace_identities(conn, id, &digests)?;
        commit_edit(conn, &mut row, changed, &ctx, now)?;
        profile::birthday_edited(conn, &row, birthday_before.as_deref(), now, &pii)?;
        view::full_view(conn, &row, now, &pii, &who)
    })
    .await?;
    deps.outbox.wake();
    Ok(super::respond_edited(&body, &caller))
}
