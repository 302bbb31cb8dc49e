//! `/api/v1/claims`: filing, the list (and ageing report), one claim, its actions.

use actix_web::http::header::LOCATION;
use actix_web::{web, HttpResponse};
use chrono::{DateTime, Utc};
use kuaidi_shared::capabilities::{caps, Authorized};
use kuaidi_shared::db;
use kuaidi_shared::deps::Deps;
use kuaidi_shared::extract::Query;
use kuaidi_shared::money::Money;
use kuaidi_shared::openapi::NotModified;
use kuaidi_shared::request::RequestContext;
use kuaidi_shared::ApiError;
use uuid::Uuid;

use crate::api::claims::{Claim, ClaimActionBody, ClaimPage, ClaimQuery, CreateClaim};
use crate::api::problems::{
    BadClaim, BadClaimAction, DuplicateClaim, IllegalInClaimState, InvalidFilters, NoSuchCaseAtAll,
    NoSuchClaim, NoSuchClaimOrAction, RoleMayNot, StaffOnly,
};
use crate::configuration::Rules;
use crate::db::claims::{self as repo, ClaimRow};
use crate::domain::claims::{is_overdue, overdue_before};
use crate::domain::fields::json_body;
use crate::domain::vocab::ClaimAction;
use crate::routes::Paging;
use crate::workflow::claims;

/// The API view of a claim at `now`; overdue once unsettled for the ageing period.
pub fn view(r: ClaimRow, now: DateTime<Utc>, rules: &Rules) -> Claim {
    let money = |m: i64| Money::from_minor(m, &r.currency);
    Claim {
        overdue: is_overdue(r.filed_at, r.settled_at, now, rules.claims.ageing_days),
        amount_claimed: money(r.amount_claimed_minor),
        amount_payable: money(r.amount_payable_minor),
        amount_approved: r.amount_approved_minor.map(money),
        id: r.id,
        complaint_id: r.complaint_id,
        tracking_number: r.tracking_number,
        kind: r.kind,
        status: r.status,
        customer_id: r.customer_id,
        merchant_id: r.merchant_id,
        reason: r.reason,
        reference: r.reference,
        escalated: r.escalated,
        escalated_at: r.escalated_at,
        filed_at: r.filed_at,
        settled_at: r.settled_at,
        updated_at: r.updated_at,
        version: r.version,
    }
}

/// Files a compensation claim; `amount_payable` is computed by rule from the shipment, less
/// what the other claims on the parcel hold of its cap (loss and damage share one, lateness has
/// its own). One open claim per parcel and kind: while one is `filed`, `assessing` or
/// `approved`, another of its kind is a `409 duplicate_claim` naming it (`claim_id`); once it
/// is paid a new one may claim what is left, once rejected its share is free again.
#[utoipa::path(post, path = "/api/v1/claims", tag = "claims", request_body = CreateClaim,
    responses((status = 201, description = "Filed", body = Claim),
        StaffOnly, NoSuchCaseAtAll, DuplicateClaim, BadClaim))]
pub async fn create_claim(
    caller: Authorized<caps::ComplaintsCreate>,
    ctx: RequestContext,
    body: web::Bytes,
    deps: Deps,
    rules: web::Data<Rules>,
) -> Result<HttpResponse, ApiError> {
    crate::routes::complaints::require_staff(&caller)?;
    let body = json_body(&body)?;
    let (who, now, r) = (caller.principal.clone(), deps.clock.now_micros(), **rules);
    let row = db::transaction(&deps.pool, move |conn| {
        claims::file(conn, body, &who, &ctx, now, &r)
    })
    .await?;
    deps.outbox.wake();
    Ok(HttpResponse::Created()
        .insert_header((LOCATION, format!("/api/v1/claims/{}", row.id)))
        .json(view(row, now, &rules)))
}

/// Claims, oldest first; `overdue=true` is the ageing report (unsettled after the ageing
/// period, *default* 30 days).
#[utoipa::path(get, path = "/api/v1/claims", tag = "claims", params(ClaimQuery),
    responses((status = 200, description = "A page of claims", body = ClaimPage),
        InvalidFilters))]
pub async fn list_claims(
    caller: Authorized<caps::ComplaintsRead>,
    query: Query<ClaimQuery>,
    deps: Deps,
    rules: web::Data<Rules>,
) -> Result<HttpResponse, ApiError> {
    let q = query.into_inner();
    let paging = Paging::parse(q.limit, q.cursor.clone())?;
    let now = deps.clock.now_micros();
    let filters = q.filters(&caller, overdue_before(now, rules.claims.ageing_days))?;
    let rows = db::run(&deps.pool, move |conn| {
        Ok(repo::page(conn, &filters, paging.after, paging.limit)?)
    })
    .await?;
    let key = |r: &ClaimRow| (r.filed_at, r.id);
    Ok(HttpResponse::Ok().json(paging.page(rows, key, |r| view(r, now, &rules))))
}

/// One claim.
#[utoipa::path(get, path = "/api/v1/claims/{id}", tag = "claims",
    params(("id" = Uuid, Path, description = "Claim id")),
    responses((status = 200, description = "The claim; `ETag` carries its version", body = Claim),
        NotModified, NoSuchClaim))]
pub async fn get_claim(
    req: actix_web::HttpRequest,
    caller: Authorized<caps::ComplaintsRead>,
    path: web::Path<Uuid>,
    deps: Deps,
    rules: web::Data<Rules>,
) -> Result<HttpResponse, ApiError> {
    let (id, who, now) = (
        path.into_inner(),
        caller.principal.clone(),
        deps.clock.now_micros(),
    );
    let row = db::run(&deps.pool, move |conn| {
        repo::find(conn, id, false)?
            .filter(|c| claims::visible(&who, c))
            .ok_or(ApiError::NotFound("claim"))
    })
    .await?;
    let etag = format!("{}-{}", row.id.simple(), row.version);
    Ok(kuaidi_shared::http::respond_with_etag(
        &req,
        &etag,
        &view(row, now, &rules),
    ))
}

/// `assess` {} (`filed` → `assessing`, the payable amount computed again as of now and of the
/// other claims on the parcel), `approve` {amount?: money} (≤ payable and ≤ what the approved
/// and paid claims leave of the parcel's cap, else 422; a bare string or number is 422) or
/// `reject` {reason} (`assessing` → `approved` | `rejected`), `pay` {reference} (`approved` →
/// `paid`; a payment that would take what the parcel's claims were paid above its cap is a
/// `409 over_cap`); any other action in a state is a 409 naming the current state and the
/// actions allowed in it. Assess, approve and pay run with the parcel locked, so concurrent
/// approvals cannot both spend the same room. Approve, reject and pay are for supervisors and
/// above. Settling (paid or rejected) emits `claim.settled`.
#[utoipa::path(post, path = "/api/v1/claims/{id}/actions/{action}", tag = "claims",
    params(("id" = Uuid, Path, description = "Claim id"), ("action" = String, Path, description = "assess | approve | reject | pay")),
    request_body = ClaimActionBody,
    responses((status = 200, description = "The claim after the action", body = Claim),
        RoleMayNot, NoSuchClaimOrAction, IllegalInClaimState, BadClaimAction))]
pub async fn act_on_claim(
    caller: Authorized<caps::ComplaintsRead>,
    ctx: RequestContext,
    path: web::Path<(Uuid, String)>,
    body: web::Bytes,
    deps: Deps,
    rules: web::Data<Rules>,
) -> Result<HttpResponse, ApiError> {
    let (id, action) = path.into_inner();
    let for_supervisors = |a: &ClaimAction| *a != ClaimAction::Assess;
    let action = crate::routes::complaints::staff_action(&caller, &action, for_supervisors)?;
    let body = json_body(&body)?;
    let (who, now, r) = (caller.principal.clone(), deps.clock.now_micros(), **rules);
    let row = db::transaction(&deps.pool, move |conn| {
        let req = claims::Request { id, action, body };
        claims::act(conn, req, &who, &ctx, now, &r)
    })
    .await?;
    deps.outbox.wake();
    Ok(HttpResponse::Ok().json(view(row, now, &rules)))
}
