//! Follow-up tasks: `/api/v1/customers/{id}/follow-ups` and `/api/v1/follow-ups`, and the
//! entity tags of tasks.

pub mod get;
pub mod update;

use actix_web::http::header::{self, LOCATION};
use actix_web::{web, HttpResponse};
use chrono::SubsecRound;
use kuaidi_shared::auth::{Principal, Role};
use kuaidi_shared::capabilities::{caps, Authorized};
use kuaidi_shared::clock::new_id;
use kuaidi_shared::db;
use kuaidi_shared::extract::{Json, Query};
use kuaidi_shared::openapi::InvalidFields;
use kuaidi_shared::pagination::{Cursor, Page, PageParams};
use kuaidi_shared::{ApiError, FieldError};
use uuid::Uuid;

use crate::api::follow_ups::{CreateFollowUp, FollowUp, FollowUpFilter};
use crate::api::problems::{Erased, InvalidFilters, NoSuchCustomer};
use crate::db::follow_ups::{self as repo, Filter, FollowUpRow};
use crate::domain::enums::{parse_opt, FollowUpStatus};
use crate::workflow::access;
use kuaidi_shared::deps::Deps;

/// The roles that work task lists.
pub const STAFF: [Role; 5] = [
    Role::Admin,
    Role::Manager,
    Role::Supervisor,
    Role::Agent,
    Role::Analyst,
];

/// One page of tasks; with `customer`, only when the caller may see that customer.
async fn respond_page(
    deps: &Deps,
    customer: Option<(Principal, Uuid)>,
    mut filter: Filter,
    cursor: Option<Cursor>,
    limit: i64,
) -> Result<HttpResponse, ApiError> {
    let rows = db::run(&deps.pool, move |conn| {
        if let Some((who, id)) = customer {
            let row = access::load_any(conn, &who, id)?;
            filter.birthday_care = access::birthday_care_of(&who, &row);
        }
        Ok(repo::page(
            conn,
            &filter,
            cursor.map(|c| (c.at, c.id)),
            limit,
        )?)
    })
    .await?;
    let page: Page<FollowUp> = Page::from_rows(
        rows,
        limit,
        |r| Cursor {
            at: r.due_at,
            id: r.id,
        },
        view,
    );
    Ok(HttpResponse::Ok().json(page))
}

/// Tasks across customers: `?assignee=&due_before=&status=`, soonest due first. A
/// birthday-care task (due on the customer's birthday) is listed only to whoever sees that
/// customer's PII unmasked: agents those of the customers they own, analysts none.
#[utoipa::path(get, path = "/api/v1/follow-ups", tag = "customers", params(FollowUpFilter),
    responses((status = 200, description = "`{data, next_cursor}`", body = inline(Page<FollowUp>)),
        InvalidFilters))]
pub async fn list_follow_ups(
    caller: Authorized<caps::CustomersRead>,
    query: Query<FollowUpFilter>,
    deps: Deps,
) -> Result<HttpResponse, ApiError> {
    caller.require(&STAFF)?;
    let q = query.into_inner();
    let mut errors = Vec::new();
    parse_opt::<FollowUpStatus>(&mut errors, "status", q.status.as_deref());
    let page = PageParams {
        limit: q.limit,
        cursor: q.cursor,
    };
    let parsed = page.parse().map_err(|e| match e {
        ApiError::Validation(mut more) => {
            errors.append(&mut more);
            ApiError::Validation(std::mem::take(&mut errors))
        }
        other => other,
    });
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    let (limit, cursor) = parsed?;
    let filter = Filter {
        assignee_id: q.assignee,
        due_before: q.due_before,
        status: q.status,
        birthday_care: access::birthday_care_across(&caller),
        ..Default::default()
    };
    respond_page(&deps, None, filter, cursor, limit).await
}

/// A customer's tasks, soonest due first.
#[utoipa::path(get, path = "/api/v1/customers/{id}/follow-ups", tag = "customers",
    params(("id" = Uuid, Path, description = "Customer id"), PageParams),
    responses((status = 200, description = "`{data, next_cursor}`", body = inline(Page<FollowUp>)),
        NoSuchCustomer))]
pub async fn list_customer_follow_ups(
    caller: Authorized<caps::CustomersRead>,
    path: web::Path<Uuid>,
    page: Query<PageParams>,
    deps: Deps,
) -> Result<HttpResponse, ApiError> {
    caller.require(&STAFF)?;
    let (limit, cursor) = page.parse()?;
    let (id, who) = (path.into_inner(), caller.principal.clone());
    let filter = Filter {
        customer_id: Some(id),
        ..Default::default()
    };
    respond_page(&deps, Some((who, id)), filter, cursor, limit).await
}

/// Plans a follow-up by hand; the assignee defaults to the customer's owner, else the caller.
/// On a customer merged into another it is planned for the survivor (the answer's
/// `customer_id`). An erased customer is a `409` `customer_erased`.
#[utoipa::path(post, path = "/api/v1/customers/{id}/follow-ups", tag = "customers",
    params(("id" = Uuid, Path, description = "Customer id")), request_body = CreateFollowUp,
    responses((status = 201, description = "Planned; `Location` and `ETag` of the task", body = FollowUp),
        NoSuchCustomer, Erased, InvalidFields))]
pub async fn create_follow_up(
    caller: Authorized<caps::CustomersWrite>,
    path: web::Path<Uuid>,
    body: Json<CreateFollowUp>,
    deps: Deps,
) -> Result<HttpResponse, ApiError> {
    access::staff_only(&caller)?;
    // To the microsecond PostgreSQL keeps: the answer (and its ETag) is what is read back.
    let (id, now, req) = (
        path.into_inner(),
        deps.clock.now_micros(),
        body.into_inner(),
    );
    let reason = req.reason.trim().to_owned();
    let mut errors = Vec::new();
    if reason.is_empty() || reason.chars().count() > 500 {
        errors.push(FieldError::new("reason", "must be 1–500 characters"));
    }
    if req.due_at.is_none() {
        errors.push(FieldError::new("due_at", "is required"));
    }
    let Some(due_at) = req
        .due_at
        .map(|t| t.trunc_subsecs(6))
        .filter(|_| errors.is_empty())
    else {
        return Err(ApiError::Validation(errors));
    };
    let who = caller.principal.clone();
    let row = db::transaction(&deps.pool, move |conn| {
        let customer = access::lock_for_touchpoint(conn, &who, id)?;
        let row = FollowUpRow {
            id: new_id(),
            customer_id: customer.id,
            assignee_id: req
                .assignee_id
                .or(customer.owner_id)
                .or_else(|| who.user_id()),
            due_at,
            reason,
            rule: None,
            trigger_key: None,
            status: FollowUpStatus::Open.to_string(),
            outcome: None,
            created_at: now,
            updated_at: now,
            closed_at: None,
            version: 1,
        };
        repo::insert(conn, &row)?;
        Ok(row)
    })
    .await?;
    let task = view(row);
    Ok(HttpResponse::Created()
        .insert_header((LOCATION, format!("/api/v1/follow-ups/{}", task.id)))
        .insert_header(etag_header(&task))
        .json(task))
}

/// The entity tag of a task: its version (what `If-Match` is checked against), then a digest
/// of everything shown.
pub fn etag(task: &FollowUp) -> String {
    format!(
        "{}.{}",
        task.version,
        kuaidi_shared::http::content_tag(task)
    )
}

/// The `ETag` header of a task (for answers that are not conditional GETs).
pub fn etag_header(task: &FollowUp) -> (header::HeaderName, String) {
    (header::ETAG, format!("\"{}\"", etag(task)))
}

/// The API's follow-up task from its row.
pub fn view(r: FollowUpRow) -> FollowUp {
    FollowUp {
        id: r.id,
        customer_id: r.customer_id,
        assignee_id: r.assignee_id,
        due_at: r.due_at,
        reason: r.reason,
        rule: r.rule,
        status: r.status,
        outcome: r.outcome,
        created_at: r.created_at,
        updated_at: r.updated_at,
        closed_at: r.closed_at,
        version: r.version,
    }
}
