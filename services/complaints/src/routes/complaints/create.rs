//! `POST /api/v1/complaints`.

use actix_web::http::header::LOCATION;
use actix_web::{web, HttpResponse};
use chrono::{DateTime, Duration, Utc};
use diesel::PgConnection;
use kuaidi_shared::auth::{Principal, Role};
use kuaidi_shared::capabilities::{caps, Authorized};
use kuaidi_shared::db::{self, PgPool};
use kuaidi_shared::events::catalogue::ComplaintReceivedV1;
use kuaidi_shared::events::{CloudEvent, Outbox};
use kuaidi_shared::problem::Problem;
use kuaidi_shared::request::RequestContext;
use kuaidi_shared::ApiError;
use uuid::Uuid;

use crate::api::complaints::{Complaint, CreateComplaint};
use crate::db::complaints::{self as repo, ComplaintRow};
use crate::db::shipments::{self, ShipmentRow};
use crate::domain::intake::{case_number, derive_priority, sla_deadlines, Intake};
use crate::domain::vocab::RECEIVED;

/// Window in which the same customer, tracking number and category is one case (*default*).
const DEDUP_WINDOW_HOURS: i64 = 24;
/// Window in which an earlier case on the same shipment makes a new one a repeat (+1 priority).
const REPEAT_WINDOW_DAYS: i64 = 30;
/// The SLA policy row used for cases opened without a category (set at triage).
const UNCATEGORISED: &str = "other";

/// Opens a feedback case with its SLA clocks and emits `complaint.received`. A case with a
/// tracking number takes the shipment's merchant and (when not given) customer. The same
/// customer, tracking number and category within 24 h returns the open case instead (`200`,
/// `duplicate_of`).
#[utoipa::path(
    post,
    path = "/api/v1/complaints",
    tag = "complaints",
    request_body = CreateComplaint,
    responses(
        (status = 201, description = "Created; `Location` names the case", body = Complaint),
        (status = 200, description = "An open case for the same customer, shipment and category exists: it is returned with `duplicate_of`", body = Complaint),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Role may not open cases", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "A merchant named a shipment that is not theirs", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn create_complaint(
    caller: Authorized<caps::ComplaintsCreate>,
    ctx: RequestContext,
    body: web::Json<CreateComplaint>,
    pool: web::Data<PgPool>,
    outbox: web::Data<Outbox>,
) -> Result<HttpResponse, ApiError> {
    if caller.role == Role::Customer {
        // NOTE: app intake for end customers (channel `app`, matched by phone) needs the
        // customers' phone index as a projection here; refused until it exists.
        return Err(ApiError::Forbidden(
            "app intake for customers is not available yet".into(),
        ));
    }
    let intake = Intake::parse(body.into_inner(), &caller)?;
    let now = Utc::now();
    let who = caller.principal.clone();
    let opened =
        db::transaction(&pool, move |conn| open_case(conn, &intake, &who, &ctx, now)).await?;
    match opened {
        Opened::Existing(row) => {
            let id = row.id;
            Ok(HttpResponse::Ok().json(super::view(row, Some(id))))
        }
        Opened::New(row) => {
            outbox.wake();
            Ok(HttpResponse::Created()
                .insert_header((LOCATION, format!("/api/v1/complaints/{}", row.id)))
                .json(super::view(row, None)))
        }
    }
}

/// What intake did.
enum Opened {
    New(ComplaintRow),
    /// The report repeats this open case; nothing new was opened.
    Existing(ComplaintRow),
}

/// The intake transaction: resolve the shipment, deduplicate, derive priority and deadlines,
/// number the case, record it and its history, and enqueue `complaint.received`.
fn open_case(
    conn: &mut PgConnection,
    intake: &Intake,
    who: &Principal,
    ctx: &RequestContext,
    now: DateTime<Utc>,
) -> Result<Opened, ApiError> {
    let shipment = match &intake.tracking_number {
        Some(tn) => shipments::find(conn, tn)?,
        None => None,
    };
    let merchant_id = merchant_of(who, shipment.as_ref())?;
    let customer_id = intake
        .customer_id
        .or_else(|| shipment.as_ref().and_then(|s| s.shipper_customer_id));
    if let (Some(c), Some(tn), Some(cat)) = (customer_id, &intake.tracking_number, &intake.category)
    {
        repo::lock_intake(conn, c, tn, cat)?;
        let since = now - Duration::hours(DEDUP_WINDOW_HOURS);
        if let Some(open) = repo::open_duplicate(conn, c, tn, cat, since)? {
            // The repeat contact is kept on the open case: what was said is not lost.
            repo::record(
                conn,
                repo::Entry {
                    complaint_id: open.id,
                    actor: &who.sub,
                    action: "duplicate_received",
                    from: Some(&open.status),
                    to: &open.status,
                    payload: serde_json::json!({
                        "channel": intake.channel,
                        "description": intake.description,
                    }),
                    at: now,
                },
            )?;
            return Ok(Opened::Existing(open));
        }
    }
    let repeat = match &intake.tracking_number {
        Some(tn) => repo::received_on_tracking_number_since(
            conn,
            tn,
            now - Duration::days(REPEAT_WINDOW_DAYS),
        )?,
        None => false,
    };
    let priority = intake
        .priority
        .unwrap_or_else(|| derive_priority(intake.category.as_deref(), &intake.channel, repeat));
    let category = intake.category.as_deref().unwrap_or(UNCATEGORISED);
    let (fr_minutes, res_minutes) = repo::policy(conn, category, priority.as_str())?
        .ok_or_else(|| anyhow::anyhow!("no SLA policy for {category}/{}", priority.as_str()))?;
    let (first_response_due, resolution_due) = sla_deadlines(now, fr_minutes, res_minutes);
    // Numbered last: the day's counter row stays locked until commit.
    let day = now.date_naive();
    let number = case_number(day, repo::next_number(conn, day)?);
    let row = ComplaintRow {
        id: Uuid::now_v7(),
        number,
        type_: intake.type_.clone(),
        channel: intake.channel.clone(),
        customer_id,
        tracking_number: intake.tracking_number.clone(),
        merchant_id,
        category: intake.category.clone(),
        priority: priority.as_str().to_owned(),
        description: intake.description.clone(),
        reasonable: None,
        department: None,
        assignee_id: None,
        escalation_level: 0,
        status: RECEIVED.into(),
        first_response_due,
        resolution_due,
        first_responded_at: None,
        sla_warned: false,
        sla_breached: false,
        root_cause: None,
        resolution: None,
        satisfaction: None,
        created_at: now,
        updated_at: now,
        version: 1,
        duplicate_of: None,
    };
    repo::insert(conn, &row)?;
    repo::record(
        conn,
        repo::Entry {
            complaint_id: row.id,
            actor: &who.sub,
            action: "receive",
            from: None,
            to: RECEIVED,
            payload: serde_json::json!({
                "channel": row.channel,
                "priority": row.priority,
                "priority_derived": intake.priority.is_none(),
            }),
            at: now,
        },
    )?;
    let event = received_event(&row, shipment.map(|s| s.destination_city));
    Outbox::enqueue(
        conn,
        &CloudEvent::new(
            crate::SERVICE,
            row.id.to_string(),
            &event,
            ctx,
            Uuid::now_v7(),
            now,
        ),
    )?;
    Ok(Opened::New(row))
}

/// The merchant a case belongs to: the shipment's. A merchant may only name its own shipment;
/// another's, or one this service has not heard of, is a 404 (never a 403 that leaks it).
fn merchant_of(who: &Principal, shipment: Option<&ShipmentRow>) -> Result<Option<Uuid>, ApiError> {
    let merchant = shipment.and_then(|s| s.merchant_id);
    if who.role == Role::Merchant && (merchant.is_none() || merchant != who.merchant_id) {
        return Err(ApiError::NotFound("shipment"));
    }
    Ok(merchant)
}

fn received_event(row: &ComplaintRow, city: Option<String>) -> ComplaintReceivedV1 {
    ComplaintReceivedV1 {
        complaint_id: row.id,
        number: row.number.clone(),
        type_: row.type_.clone(),
        channel: row.channel.clone(),
        category: row.category.clone(),
        priority: row.priority.clone(),
        customer_id: row.customer_id,
        merchant_id: row.merchant_id,
        tracking_number: row.tracking_number.clone(),
        city,
        received_at: row.created_at,
    }
}
