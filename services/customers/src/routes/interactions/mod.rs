//! `/api/v1/customers/{id}/interactions`: the customer's timeline, and the entity tags of its
//! entries.

pub mod get;

use actix_web::http::header::{self, LOCATION};
use actix_web::{web, HttpResponse};
use kuaidi_shared::capabilities::{caps, Authorized};
use kuaidi_shared::clock::new_id;
use kuaidi_shared::db;
use kuaidi_shared::extract::{Json, Query};
use kuaidi_shared::pagination::{Cursor, Page};
use kuaidi_shared::ApiError;
use uuid::Uuid;

use crate::api::interactions::{CreateInteraction, Interaction, TimelineParams, TimelineQuery};
use crate::api::problems::{Erased, InvalidFieldsEach, InvalidFiltersEach, NoSuchCustomer};
use crate::db::interactions::{self as repo, InteractionRow};
use crate::workflow::access;
use kuaidi_shared::deps::Deps;

/// A customer's interactions, newest first, cursor-paginated (complaints, surveys and shipment
/// notifications arrive here from their events). `channel`, `direction` and `kind` keep only
/// the touchpoints matching them all; a value outside its vocabulary is a `422` naming the
/// parameter. A `next_cursor` continues the same filtered list (pass the same filters). An
/// erased customer's timeline is read as its file is: anonymised (SPEC §4 keeps aggregates).
#[utoipa::path(get, path = "/api/v1/customers/{id}/interactions", tag = "customers",
    params(("id" = Uuid, Path, description = "Customer id"), TimelineParams),
    responses((status = 200, description = "`{data, next_cursor}`", body = inline(Page<Interaction>)),
        NoSuchCustomer, InvalidFiltersEach))]
pub async fn list_interactions(
    caller: Authorized<caps::CustomersRead>,
    path: web::Path<Uuid>,
    query: Query<TimelineParams>,
    deps: Deps,
) -> Result<HttpResponse, ApiError> {
    let TimelineQuery {
        channel,
        direction,
        kind,
        limit,
        cursor,
    } = query.validate()?;
    let filter = repo::Filter {
        channel,
        direction,
        kind,
    };
    let (id, who) = (path.into_inner(), caller.principal.clone());
    let page = db::run(&deps.pool, move |conn| {
        access::load_any(conn, &who, id)?;
        let after = cursor.map(|c| (c.at, c.id));
        let rows = repo::page_of(conn, id, filter, after, limit)?;
        Ok(Page::from_rows(
            rows,
            limit,
            |r| Cursor {
                at: r.occurred_at,
                id: r.id,
            },
            view,
        ))
    })
    .await?;
    Ok(HttpResponse::Ok().json(page))
}

/// Logs a touchpoint (channel, direction, kind, summary; time defaults to now, staff to the
/// caller). On a customer merged into another it is logged on the survivor, whose id the
/// answer's `customer_id` names: no touchpoint is lost. `Location` names the new entry (under
/// the customer it was logged on). An erased customer is a `409` `customer_erased`; an
/// `occurred_at` more than 5 minutes ahead of the service's clock is a `422`.
#[utoipa::path(post, path = "/api/v1/customers/{id}/interactions", tag = "customers",
    params(("id" = Uuid, Path, description = "Customer id")), request_body = CreateInteraction,
    responses((status = 201, description = "Logged; `Location` and `ETag` of the entry", body = Interaction),
        NoSuchCustomer, Erased, InvalidFieldsEach))]
pub async fn create_interaction(
    caller: Authorized<caps::CustomersWrite>,
    path: web::Path<Uuid>,
    body: Json<CreateInteraction>,
    deps: Deps,
) -> Result<HttpResponse, ApiError> {
    access::staff_only(&caller)?;
    // To the microsecond PostgreSQL keeps: the answer (and its ETag) is what is read back.
    let (id, now, req) = (
        path.into_inner(),
        deps.clock.now_micros(),
        body.into_inner(),
    );
    let (summary, occurred_at) = req.validate(now)?;
    let row = InteractionRow {
        id: new_id(),
        customer_id: id,
        channel: req.channel,
        direction: req.direction,
        kind: req.kind,
        summary,
        staff_id: req.staff_id.or_else(|| caller.user_id()),
        occurred_at,
        created_at: now,
        source: None,
    };
    let who = caller.principal.clone();
    let row = db::transaction(&deps.pool, move |conn| {
        let customer = access::lock_for_touchpoint(conn, &who, id)?;
        let row = InteractionRow {
            customer_id: customer.id,
            ..row
        };
        repo::insert(conn, &row)?;
        Ok(row)
    })
    .await?;
    let entry = view(row);
    let location = format!(
        "/api/v1/customers/{}/interactions/{}",
        entry.customer_id, entry.id
    );
    Ok(HttpResponse::Created()
        .insert_header((LOCATION, location))
        .insert_header((header::ETAG, format!("\"{}\"", etag(&entry))))
        .json(entry))
}

/// The entity tag of a timeline entry: a digest of everything shown (an entry is never edited,
/// but a merge moves it and an erasure blanks its summary).
pub fn etag(entry: &Interaction) -> String {
    kuaidi_shared::http::content_tag(entry)
}

/// The API's interaction from its row.
pub fn view(r: InteractionRow) -> Interaction {
    Interaction {
        id: r.id,
        customer_id: r.customer_id,
        channel: r.channel,
        direction: r.direction,
        kind: r.kind,
        summary: r.summary,
        staff_id: r.staff_id,
        occurred_at: r.occurred_at,
        created_at: r.created_at,
        source: r.source,
    }
}
