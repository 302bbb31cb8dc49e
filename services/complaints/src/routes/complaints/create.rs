//! `POST /api/v1/complaints`.

use actix_web::http::header::LOCATION;
use actix_web::{web, HttpResponse};
use diesel::PgConnection;
use kuaidi_shared::auth::{Principal, Role};
use kuaidi_shared::capabilities::{caps, Authorized};
use kuaidi_shared::db;
use kuaidi_shared::deps::Deps;
use kuaidi_shared::extract::Json;
use kuaidi_shared::openapi::{InvalidFields, NoValidToken};
use kuaidi_shared::request::RequestContext;
use kuaidi_shared::ApiError;

use crate::api::complaints::{Complaint, CreateComplaint};
use crate::api::problems::{MayNotOpenCases, NotTheirShipmentOrCustomer};
use crate::configuration::Rules;
use crate::db::{customers, shipments};
use crate::domain::intake::Intake;
use crate::workflow::intake::{open_case, Opened};

/// Opens a feedback case with its SLA clocks and emits `complaint.received`. A case with a
/// tracking number takes the shipment's merchant and (when not given) customer — the shipper's;
/// an end customer's case, with or without a parcel, is on their own customer file (if one
/// holds their phone), not on the shipper's of a parcel sent to them. The same
/// customer, tracking number and category within the dedup window (*default* 24 h) returns the
/// open case instead (`200`, `duplicate_of`) — only a case the caller may read, shown as
/// `GET /complaints/{id}` shows it; otherwise a new case is opened. A report with no customer
/// (none named, none known from the shipment) repeats any open case on the same tracking
/// number and category: the same parcel and the same problem.
#[utoipa::path(post, path = "/api/v1/complaints", tag = "complaints", request_body = CreateComplaint,
    responses((status = 201, description = "Created; `Location` names the case", body = Complaint),
        (status = 200, description = "An open case for the same customer, shipment and category exists: it is returned with `duplicate_of`", body = Complaint),
        NoValidToken, MayNotOpenCases, NotTheirShipmentOrCustomer, InvalidFields))]
pub async fn create_complaint(
    caller: Authorized<caps::ComplaintsCreate>,
    ctx: RequestContext,
    body: Json<CreateComplaint>,
    deps: Deps,
    rules: web::Data<Rules>,
) -> Result<HttpResponse, ApiError> {
    let intake = Intake::parse(body.into_inner().into(), &caller)?;
    arrived(&deps, &intake, &caller).await?;
    let now = deps.clock.now_micros();
    let (who, rules) = (caller.principal.clone(), **rules);
    let opened = db::transaction(&deps.pool, move |conn| {
        open_case(conn, &intake, &who, &ctx, now, &rules)
    })
    .await?;
    // Answered as `GET /complaints/{id}` would answer this caller.
    match opened {
        Opened::Existing(row) => {
            let mut case = super::view_for(&caller, row);
            case.duplicate_of = Some(case.id);
            Ok(HttpResponse::Ok().json(case))
        }
        Opened::New(row) => {
            deps.outbox.wake();
            Ok(HttpResponse::Created()
                .insert_header((LOCATION, format!("/api/v1/complaints/{}", row.id)))
                .json(super::view_for(&caller, row)))
        }
    }
}

/// How long a new case waits for what it names — a shipment, a merchant's customer file —
/// created a moment ago elsewhere, to reach this service by event.
const PATIENCE: std::time::Duration = std::time::Duration::from_secs(1);

/// Waits (up to [`PATIENCE`]) until the shipment the case names and the customer file a
/// merchant names are known here, so a case filed right after them takes their merchant and
/// customer; the intake decides in its transaction whatever the wait found.
async fn arrived(deps: &Deps, intake: &Intake, caller: &Principal) -> Result<(), ApiError> {
    if let Some(tn) = intake.tracking_number.clone() {
        let known = move |conn: &mut PgConnection| shipments::find(conn, &tn).map(|s| s.is_some());
        db::known_soon(&deps.pool, PATIENCE, known).await?;
    }
    if let (Role::Merchant, Some(merchant), Some(customer)) =
        (caller.role, caller.merchant_id, intake.customer_id)
    {
        let theirs =
            move |conn: &mut PgConnection| customers::TENANTS.belongs_to(conn, customer, merchant);
        db::known_soon(&deps.pool, PATIENCE, theirs).await?;
    }
    Ok(())
}
