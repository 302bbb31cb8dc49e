//! `POST /api/v1/complaints`.

use actix_web::http::header::LOCATION;
use actix_web::{web, HttpResponse};
use chrono::{Duration, Utc};
use kuaidi_shared::auth::Role;
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
use crate::db::shipments;
use crate::domain::intake::{case_number, derive_priority, sla_deadlines, Intake};

/// Window in which the same customer, tracking number and category is one case.
const DEDUP_WINDOW_HOURS: i64 = 24;

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
    let intake = Intake::parse(body.into_inner())?;
    let now = Utc::now();
    let who = caller.principal.clone();
    let (row, duplicate) = db::transaction(&pool, move |conn| {
        let shipment = match &intake.tracking_number {
            Some(tn) => shipments::find(conn, tn)?,
            None => None,
        };
        let merchant_id = match who.role {
            Role::Merchant => {
                // Merchants complain about their own shipments only.
                let own = shipment
                    .as_ref()
                    .is_some_and(|s| s.merchant_id.is_some() && s.merchant_id == who.merchant_id);
                if !own {
                    return Err(ApiError::NotFound("shipment"));
                }
                who.merchant_id
            }
            _ => shipment.as_ref().and_then(|s| s.merchant_id),
        };
        let customer_id = intake
            .customer_id
            .or_else(|| shipment.as_ref().and_then(|s| s.shipper_customer_id));
        if let (Some(c), Some(tn), Some(cat)) =
            (customer_id, &intake.tracking_number, &intake.category)
        {
            if let Some(open) =
                repo::open_duplicate(conn, c, tn, cat, now - Duration::hours(DEDUP_WINDOW_HOURS))?
            {
                return Ok((open, true));
            }
        }
        let repeat = match &intake.tracking_number {
            Some(tn) => repo::recent_on_tracking_number(conn, tn, now)?,
            None => false,
        };
        let priority = intake.priority.unwrap_or_else(|| {
            derive_priority(intake.category.as_deref(), &intake.channel, repeat)
        });
        let (fr_minutes, res_minutes) = repo::policy(
            conn,
            intake.category.as_deref().unwrap_or("other"),
            priority.as_str(),
        )?
        .ok_or_else(|| {
            anyhow::anyhow!(
                "no SLA policy for {:?}/{}",
                intake.category,
                priority.as_str()
            )
        })?;
        let (first_response_due, resolution_due) = sla_deadlines(now, fr_minutes, res_minutes);
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
            status: "received".into(),
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
        };
        repo::insert(conn, &row)?;
        repo::record(
            conn,
            repo::Entry {
                complaint_id: row.id,
                actor: &who.sub,
                action: "receive",
                from: None,
                to: "received",
                payload: serde_json::json!({"channel": row.channel}),
                at: now,
            },
        )?;
        let event = ComplaintReceivedV1 {
            complaint_id: row.id,
            number: row.number.clone(),
            type_: row.type_.clone(),
            channel: row.channel.clone(),
            category: row.category.clone(),
            priority: row.priority.clone(),
            customer_id: row.customer_id,
            merchant_id: row.merchant_id,
            tracking_number: row.tracking_number.clone(),
            city: shipment.map(|s| s.destination_city),
            received_at: now,
        };
        Outbox::enqueue(
            conn,
            &CloudEvent::new(
                crate::SERVICE,
                row.id.to_string(),
                &event,
                &ctx,
                Uuid::now_v7(),
                now,
            ),
        )?;
        Ok((row, false))
    })
    .await?;
    if duplicate {
        let id = row.id;
        return Ok(HttpResponse::Ok().json(super::view(row, Some(id))));
    }
    outbox.wake();
    Ok(HttpResponse::Created()
        .insert_header((LOCATION, format!("/api/v1/complaints/{}", row.id)))
        .json(super::view(row, None)))
}
