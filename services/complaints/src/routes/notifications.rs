//! `/api/v1/notifications`: the supervisors' inbox — an SLA breach or an aged claim escalates
//! a case and tells the supervisor of its department here (SPEC §6).

use actix_web::{web, HttpResponse};
use kuaidi_shared::auth::{Principal, Role};
use kuaidi_shared::capabilities::{caps, Authorized};
use kuaidi_shared::db;
use kuaidi_shared::deps::Deps;
use kuaidi_shared::extract::Query;
use kuaidi_shared::ApiError;
use uuid::Uuid;

use crate::api::departments::{NotificationQuery, StaffNotification, StaffNotificationPage};
use crate::api::problems::{InvalidFilters, NotInInbox, SupervisorsAndAbove};
use crate::db::notifications::{self as repo, NotificationRow, Reader};
use crate::routes::Paging;

fn view(r: NotificationRow) -> StaffNotification {
    StaffNotification {
        id: r.id,
        recipient_id: r.recipient_id,
        department: r.department,
        complaint_id: r.complaint_id,
        kind: r.kind,
        payload: r.payload,
        created_at: r.created_at,
        read_at: r.read_at,
    }
}

/// Admins and managers read every inbox; a supervisor reads their own and what was addressed
/// to no one; nobody else has one.
fn reader(caller: &Principal, recipient: Option<Uuid>) -> Result<Reader, ApiError> {
    match caller.role {
        Role::Admin | Role::Manager => Ok(Reader::All(recipient)),
        Role::Supervisor => {
            let me = caller
                .sub
                .parse()
                .map_err(|_| ApiError::Forbidden("the inbox is for staff users".into()))?;
            if recipient.is_some_and(|r| r != me) {
                return Err(ApiError::Forbidden(
                    "supervisors read their own inbox".into(),
                ));
            }
            Ok(Reader::Supervisor(me))
        }
        _ => Err(ApiError::Forbidden(
            "the inbox is for supervisors and above".into(),
        )),
    }
}

/// The caller's notifications, newest first.
#[utoipa::path(get, path = "/api/v1/notifications", tag = "complaints", params(NotificationQuery),
    responses((status = 200, description = "A page, newest first", body = StaffNotificationPage),
        SupervisorsAndAbove, InvalidFilters))]
pub async fn list_notifications(
    caller: Authorized<caps::ComplaintsApprove>,
    query: Query<NotificationQuery>,
    deps: Deps,
) -> Result<HttpResponse, ApiError> {
    let q = query.into_inner();
    let reader = reader(&caller, q.recipient_id)?;
    let paging = Paging::parse(q.limit, q.cursor)?;
    let rows = db::run(&deps.pool, move |conn| {
        Ok(repo::page(
            conn,
            reader,
            q.unread,
            paging.after,
            paging.limit + 1,
        )?)
    })
    .await?;
    let key = |r: &NotificationRow| (r.created_at, r.id);
    Ok(HttpResponse::Ok().json(paging.page(rows, key, view)))
}

/// Marks a notification read (the first time stays).
#[utoipa::path(post, path = "/api/v1/notifications/{id}/read", tag = "complaints",
    params(("id" = Uuid, Path, description = "Notification id")),
    responses((status = 200, description = "The notification, read", body = StaffNotification),
        SupervisorsAndAbove, NotInInbox))]
pub async fn read_notification(
    caller: Authorized<caps::ComplaintsApprove>,
    path: web::Path<Uuid>,
    deps: Deps,
) -> Result<HttpResponse, ApiError> {
    let reader = reader(&caller, None)?;
    let (id, now) = (path.into_inner(), deps.clock.now_micros());
    let row = db::transaction(&deps.pool, move |conn| {
        repo::mark_read(conn, reader, id, now)?.ok_or(ApiError::NotFound("notification"))
    })
    .await?;
    Ok(HttpResponse::Ok().json(view(row)))
}
