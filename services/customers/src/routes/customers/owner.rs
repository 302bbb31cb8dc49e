//! `PUT /api/v1/customers/{id}/owner` and `POST /api/v1/customers/handover`.

use actix_web::{web, HttpResponse};
use kuaidi_shared::auth::Role;
use kuaidi_shared::capabilities::{caps, Authorized};
use kuaidi_shared::clock::new_id;
use kuaidi_shared::db;
use kuaidi_shared::extract::Json;
use kuaidi_shared::request::RequestContext;
use kuaidi_shared::ApiError;
use uuid::Uuid;

use super::view;
use crate::api::care::{Handover, HandoverResult, PutOwner};
use crate::api::customers::Customer;
use crate::api::problems::{
    MayNotHandOver, NoSuchCustomer, NotChangeable, NotTheirsToHandOver, SameOwner,
};
use crate::db::customers as repo;
use crate::events::emit::Emitter;
use crate::workflow;
use crate::workflow::access;
use kuaidi_shared::deps::Deps;

/// Gives a customer another account manager (or none); their open follow-ups go along.
/// Emits `customer.owner_changed`. An erased customer is a `409` `customer_erased`. An agent
/// may take an unowned customer and keep or give up their own (`owner_id` themselves or
/// `null`); another agent's customer, or naming anyone else as owner, is a `403`: admins,
/// managers and supervisors hand customers to others.
#[utoipa::path(put, path = "/api/v1/customers/{id}/owner", tag = "customers",
    params(("id" = Uuid, Path, description = "Customer id")), request_body = PutOwner,
    responses((status = 200, description = "The customer with its new owner", body = Customer),
        NotTheirsToHandOver, NoSuchCustomer, NotChangeable))]
pub async fn put_owner(
    caller: Authorized<caps::CustomersWrite>,
    ctx: RequestContext,
    path: web::Path<Uuid>,
    body: Json<PutOwner>,
    deps: Deps,
) -> Result<HttpResponse, ApiError> {
    access::staff_only(&caller)?;
    let (id, now, who, to) = (
        path.into_inner(),
        deps.clock.now(),
        caller.principal.clone(),
        body.owner_id,
    );
    let pii = deps.pii.clone();
    let body = db::transaction(&deps.pool, move |conn| {
        let mut row = access::lock_for_write(conn, &who, id)?;
        access::may_set_owner(&who, row.owner_id, to)?;
        let emit = Emitter { ctx: &ctx, now };
        if workflow::ownership::reassign(conn, &emit, id, row.owner_id, to)? {
            row.owner_id = to;
            row.version += 1;
            row.updated_at = now;
            repo::save(conn, &row)?;
        }
        view::full_view(conn, &row, now, &pii, &who)
    })
    .await?;
    deps.outbox.wake();
    Ok(super::respond_edited(&body, &caller))
}

/// Moves a whole portfolio from one account manager to another in one transaction: every
/// customer they own and the open follow-ups assigned to them for those customers. Emits
/// `customer.owner_changed` per customer, all naming the handover.
#[utoipa::path(post, path = "/api/v1/customers/handover", tag = "customers", request_body = Handover,
    responses((status = 200, description = "What moved", body = HandoverResult),
        MayNotHandOver, SameOwner))]
pub async fn handover(
    caller: Authorized<caps::CustomersWrite>,
    ctx: RequestContext,
    body: Json<Handover>,
    deps: Deps,
) -> Result<HttpResponse, ApiError> {
    caller.require(&[Role::Admin, Role::Manager, Role::Supervisor])?;
    let Handover {
        from_owner_id: from,
        to_owner_id: to,
    } = body.into_inner();
    if from == to {
        return Err(ApiError::validation(
            "to_owner_id",
            "must differ from from_owner_id",
        ));
    }
    let handover = workflow::handover::Handover {
        id: new_id(),
        from,
        to,
        at: deps.clock.now(),
    };
    let moved = db::transaction(&deps.pool, move |conn| Ok(handover.run(conn, &ctx)?)).await?;
    deps.outbox.wake();
    Ok(HttpResponse::Ok().json(HandoverResult {
        handover_id: handover.id,
        from_owner_id: from,
        to_owner_id: to,
        customers_moved: moved.customers,
        follow_ups_moved: moved.follow_ups,
    }))
}
