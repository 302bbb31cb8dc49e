//! `PUT /api/v1/customers/{id}/consents` and `GET` of the same path.

use actix_web::{web, HttpResponse};
use diesel::PgConnection;
use kuaidi_shared::capabilities::{caps, Authorized};
use kuaidi_shared::clock::new_id;
use kuaidi_shared::db;
use kuaidi_shared::request::RequestContext;
use kuaidi_shared::{ApiError, FieldError};
use uuid::Uuid;

use super::commit_edit;
use crate::api::care::{ConsentEvent, Consents, PutConsents};
use crate::api::customers::ConsentState;
use crate::api::problems::{NoSuchCustomer, UnknownPurposes};
use crate::db::consents::{self as history, ConsentRow};
use crate::db::customers::CustomerRow;
use crate::domain::enums::{parse_into, Purpose};
use crate::workflow::{access, profile};
use kuaidi_shared::deps::Deps;

/// Records consent per purpose (`marketing`, `care_messages`, `profile_extras`), each with its
/// time and source; every change is kept in the history. Withdrawing `profile_extras` erases
/// the stored birthday and family. An end customer may change their own.
#[utoipa::path(put, path = "/api/v1/customers/{id}/consents", tag = "customers",
    params(("id" = Uuid, Path, description = "Customer id")), request_body = PutConsents,
    responses((status = 200, description = "Current consents and their history", body = Consents),
        NoSuchCustomer, UnknownPurposes))]
pub async fn put_consents(
    caller: Authorized<caps::CustomersWrite>,
    ctx: RequestContext,
    path: web::Path<Uuid>,
    body: web::Json<PutConsents>,
    deps: Deps,
) -> Result<HttpResponse, ApiError> {
    let (id, now, who) = (
        path.into_inner(),
        deps.clock.now(),
        caller.principal.clone(),
    );
    let changes = parse_changes(body.into_inner(), now)?;
    let body = db::transaction(&deps.pool, move |conn| {
        let mut row = access::lock_for_write(conn, &who, id)?;
        let mut current = profile::consents_of(&row);
        let rows: Vec<ConsentRow> = changes
            .iter()
            .map(|(p, c)| ConsentRow {
                id: new_id(),
                customer_id: id,
                purpose: p.to_string(),
                granted: c.granted,
                source: c.source.clone(),
                recorded_at: c.at,
                actor: Some(who.sub.clone()),
            })
            .collect();
        for (p, c) in changes {
            if p == Purpose::ProfileExtras && !c.granted {
                row.extras_sealed = None;
                row.birthday_index = None;
            }
            current.insert(p.to_string(), c);
        }
        row.consents = serde_json::to_value(&current).map_err(anyhow::Error::from)?;
        commit_edit(conn, &mut row, vec!["consents".into()], &ctx, now)?;
        history::record(conn, &rows)?;
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
        let row = access::load(conn, &who, id)?;
        consents_view(conn, &row)
    })
    .await?;
    Ok(HttpResponse::Ok().json(body))
}

/// Every purpose checked at once; the source defaults to `api`, the time to now.
fn parse_changes(
    body: PutConsents,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<Vec<(Purpose, ConsentState)>, ApiError> {
    let mut errors = Vec::new();
    let mut changes = Vec::new();
    for (purpose, change) in body.consents {
        let field = format!("consents.{purpose}");
        let Some(p) = parse_into::<Purpose>(&mut errors, &field, &purpose) else {
            continue;
        };
        let source = change.source.unwrap_or_else(|| "api".into());
        if source.trim().is_empty() || source.chars().count() > 64 {
            errors.push(FieldError::new(
                format!("{field}.source"),
                "must be 1–64 characters",
            ));
        }
        let at = change.at.unwrap_or(now);
        changes.push((
            p,
            ConsentState {
                granted: change.granted,
                source,
                at,
            },
        ));
    }
    if errors.is_empty() {
        Ok(changes)
    } else {
        Err(ApiError::Validation(errors))
    }
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
