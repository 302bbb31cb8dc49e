//! `DELETE /api/v1/customers/{id}`: erasure.

use actix_web::{web, HttpResponse};
use kuaidi_shared::capabilities::{caps, Authorized};
use kuaidi_shared::db;
use kuaidi_shared::events::Outbox;
use kuaidi_shared::request::RequestContext;
use kuaidi_shared::ApiError;
use uuid::Uuid;

use crate::api::problems::{NoSuchCustomer, NotTheirsToErase};
use crate::db::erasure;
use crate::domain::new_customer::Contacts;
use crate::events::emit::Emitter;
use crate::workflow::access;
use kuaidi_shared::deps::Deps;

/// Erases a customer's personal data (PIPL/GDPR): name, contacts, company, extras and the text
/// of their interactions are anonymised; stats, tier and stage stay; every consent granted is
/// withdrawn (source `erasure`, in the consent history), so the person is contacted no more.
/// Emits `customer.erased` with the blind indexes of the erased phones and emails so every
/// service can scrub its copies. The anonymised file stays readable (`erased_at` set) and can
/// no longer be changed (a change is a `409` `customer_erased`); erasing it again is a `204`
/// that changes and announces nothing. Erasing is a write (SPEC §3): staff with customer write
/// rights, agents their own and unowned customers.
#[utoipa::path(delete, path = "/api/v1/customers/{id}", tag = "customers",
    params(("id" = Uuid, Path, description = "Customer id")),
    responses((status = 204, description = "Erased (now, or before: nothing more happens)"),
        NotTheirsToErase, NoSuchCustomer))]
pub async fn erase_customer(
    caller: Authorized<caps::CustomersWrite>,
    ctx: RequestContext,
    path: web::Path<Uuid>,
    deps: Deps,
) -> Result<HttpResponse, ApiError> {
    access::staff_only(&caller)?;
    let (id, now, who) = (
        path.into_inner(),
        // To the microsecond kept: the withdrawals' time is `erased_at` as read back.
        deps.clock.now_micros(),
        caller.principal.clone(),
    );
    let empty = deps.pii.seal_json(&Contacts::default());
    db::transaction(&deps.pool, move |conn| {
        if access::lock_for_erasure(conn, &who, id)?.is_none() {
            return Ok(());
        }
        let erased = erasure::erase(conn, id, &empty, &who.sub, now)?;
        let emit = Emitter { ctx: &ctx, now };
        let event = emit.erased(id, erased.phone_hashes, erased.email_hashes);
        Ok(Outbox::enqueue(conn, &event)?)
    })
    .await?;
    deps.outbox.wake();
    Ok(HttpResponse::NoContent().finish())
}
