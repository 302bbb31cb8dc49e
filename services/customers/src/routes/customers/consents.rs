//! `PUT /api/v1/customers/{id}/consents` and `GET` of the same path.

use actix_web::{web, HttpResponse};
use diesel::PgConnection;
use kuaidi_shared::capabilities::{caps, Authorized};
use kuaidi_shared::db;
use kuaidi_shared::extract::Json;
use kuaidi_shared::request::RequestContext;
use kuaidi_shared::ApiError;
use uuid::Uuid;

use super::commit_edit;
use crate::api::care::{ConsentEvent, Consents, PutConsents};
use crate::api::problems::{NoSuchCustomer, NotChangeable, UnknownPurposes};
use crate::db::consents as history;
use crate::db::customers::CustomerRow;
use crate::db::follow_ups;
use crate::workflow::{access, profile};
use kuaidi_shared::deps::Deps;

/// Records consent per purpose (`marketing`, `care_messages`, `profile_extras`), each with its
/// time and source; every change is kept in the history. The body names the purposes under
/// `consents` (`{"consents": {"marketing": {"granted": true, "source": "app"}}}`, or
/// `{"consents": {"marketing": true}}`) or alone (`{"marketing": true}`); a bare `true` /
/// `false` is recorded with source `api` and the current time. Purposes not named stay as
/// they are. Withdrawing `profile_extras` erases the stored birthday and family and cancels the
/// open birthday-care follow-ups; withdrawing `care_messages` cancels the open birthday- and
/// holiday-care ones (each with an outcome saying why). An end customer may change their own.
/// An erased customer is a `409` `customer_erased`.
#[utoipa::path(put, path = "/api/v1/customers/{id}/consents", tag = "customers",
    params(("id" = Uuid, Path, description = "Customer id")), request_body = PutConsents,
    responses((status = 200, description = "Current consents and their history", body = Consents),
        NoSuchCustomer, NotChangeable, UnknownPurposes))]
pub async fn put_consents(
    caller: Authorized<caps::CustomersWrite>,
    ctx: RequestContext,
    path: web::Path<Uuid>,
    body: Json<serde_json::Value>,
    deps: Deps,
) -> Result<HttpResponse, ApiError> {
    let (id, now, who) = (
        path.into_inner(),
        deps.clock.now_micros(),
        caller.principal.clone(),
    );
    let changes = PutConsents::parse(body.into_inner())?.changes(now)?;
    let pii = deps.pii.clone();
    let body = db::transaction(&deps.pool, move |conn| {
        let mut row = access::lock_for_write(conn, &who, id)?;
        let (stopped, resumed) = (
            profile::care_stopped(&changes),
            profile::grants_care(&changes),
        );
        let rows = profile::record_consents(&mut row, changes, &who.sub)?;
        commit_edit(conn, &mut row, vec!["consents".into()], &ctx, now)?;
        history::record(conn, &rows)?;
        for (rules, why) in stopped {
            follow_ups::cancel_open(conn, row.id, rules, why, now)?;
        }
        if resumed {
            profile::care_at_once(conn, &row, now, &pii)?;
        }
        consents_view(conn, &row)
    })
    .await?;
    deps.outbox.wake();
    Ok(HttpResponse::Ok().json(body))
}

/// A customer's current consents and their history.
#[utoipa::path(get, path = "/api/v1/customers/{id}/consents", tag = "customers",
    params(("id" = Uuid, Path, description = "Customer id")),
    responses((status = 200, description = "Current consents and their history", body = Consents),
        NoSuchCustomer))]
pub async fn get_consents(
    caller: Authorized<caps::CustomersRead>,
    path: web::Path<Uuid>,
    deps: Deps,
) -> Result<HttpResponse, ApiError> {
    let (id, who) = (path.into_inner(), caller.principal.clone());
    let body = db::run(&deps.pool, move |conn| {
        let row = access::load_any(conn, &who, id)?;
        consents_view(conn, &row)
    })
    .await?;
    Ok(HttpResponse::Ok().json(body))
}

fn consents_view(conn: &mut PgConnection, row: &CustomerRow) -> Result<Consents, ApiError> {
    Ok(Consents {
        customer_id: row.id,
        consents: profile::consents_of(row),
        history: history::history(conn, row.id)?
            .into_iter()
            .map(|h| ConsentEvent {
                purpose: h.purpose,
                granted: h.granted,
                source: h.source,
                at: h.recorded_at,
                actor: h.actor,
            })
            .collect(),
    })
}
