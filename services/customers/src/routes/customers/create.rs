//! `POST /api/v1/customers`.

use actix_web::http::header::LOCATION;
use actix_web::{web, HttpResponse};
use chrono::Utc;
use kuaidi_shared::auth::Role;
use kuaidi_shared::capabilities::{caps, Authorized};
use kuaidi_shared::crypto::PiiCipher;
use kuaidi_shared::db::{self, PgPool};
use kuaidi_shared::events::catalogue::CustomerCreatedV1;
use kuaidi_shared::events::{CloudEvent, Outbox};
use kuaidi_shared::problem::Problem;
use kuaidi_shared::request::RequestContext;
use kuaidi_shared::ApiError;
use serde::Deserialize;
use utoipa::IntoParams;
use uuid::Uuid;

use crate::api::customers::{CreateCustomer, Customer};
use crate::db::customers::{self as repo, CustomerRow};
use crate::domain::new_customer::NewCustomer;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CreateParams {
    /// Create even when the phone, email or credit code matches an existing customer.
    #[serde(default)]
    pub allow_duplicate: bool,
}

/// Opens a customer file and emits `customer.created`. A phone, email or credit code that
/// already belongs to a customer is a `409` naming the match, unless `allow_duplicate=true`.
#[utoipa::path(
    post,
    path = "/api/v1/customers",
    tag = "customers",
    params(CreateParams),
    request_body = CreateCustomer,
    responses(
        (status = 201, description = "Created; `Location` names the customer", body = Customer),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Role may not create customers", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Duplicate: `matches` lists the existing customers", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn create_customer(
    caller: Authorized<caps::CustomersWrite>,
    ctx: RequestContext,
    params: web::Query<CreateParams>,
    body: web::Json<CreateCustomer>,
    pool: web::Data<PgPool>,
    outbox: web::Data<Outbox>,
    pii: web::Data<PiiCipher>,
) -> Result<HttpResponse, ApiError> {
    if caller.role == Role::Customer {
        // An end customer may edit their own consents and preferences, not open files.
        return Err(ApiError::Forbidden(
            "customers may not create customer files".into(),
        ));
    }
    let new = NewCustomer::parse(body.into_inner(), &caller)?;
    let now = Utc::now();
    let digests: Vec<(&'static str, String)> = new
        .identities
        .iter()
        .map(|(kind, value)| (*kind, pii.blind_index(value)))
        .collect();
    let row = CustomerRow {
        id: Uuid::now_v7(),
        kind: new.kind.clone(),
        name: new.name.clone(),
        contacts_sealed: pii.seal_json(&new.contacts),
        company: new
            .company
            .as_ref()
            .map(serde_json::to_value)
            .transpose()
            .map_err(anyhow::Error::from)?,
        industry: new.industry.clone(),
        size: new.size.clone(),
        region_city: new.region.as_ref().and_then(|r| r.city.clone()),
        region_province: new.region.as_ref().and_then(|r| r.province.clone()),
        city_tier: new.region.as_ref().and_then(|r| r.city_tier.clone()),
        lanes: new.lanes.clone(),
        preferences: serde_json::to_value(&new.preferences).map_err(anyhow::Error::from)?,
        tags: new.tags.clone(),
        owner_id: new.owner_id,
        merchant_id: new.merchant_id,
        value_tier: "small".into(),
        lifecycle_stage: "prospect".into(),
        created_at: now,
        updated_at: now,
        version: 1,
    };
    let allow_duplicate = params.allow_duplicate;
    let (stored, stats) = db::transaction(&pool, move |conn| {
        if !allow_duplicate {
            let matches = repo::matching(conn, &digests)?;
            if !matches.is_empty() {
                return Err(duplicate(&matches));
            }
        }
        repo::insert(conn, &row, &digests)?;
        let event = CustomerCreatedV1 {
            customer_id: row.id,
            kind: row.kind.clone(),
            merchant_id: row.merchant_id,
            owner_id: row.owner_id,
            city: row.region_city.clone(),
            province: row.region_province.clone(),
            value_tier: row.value_tier.clone(),
            lifecycle_stage: row.lifecycle_stage.clone(),
            created_at: row.created_at,
        };
        let event = CloudEvent::new(
            crate::SERVICE,
            row.id.to_string(),
            &event,
            &ctx,
            Uuid::now_v7(),
            now,
        );
        Outbox::enqueue(conn, &event)?;
        let stats = super::stats(conn, &row, now)?;
        Ok((row, stats))
    })
    .await?;
    outbox.wake();
    let location = format!("/api/v1/customers/{}", stored.id);
    Ok(HttpResponse::Created()
        .insert_header((LOCATION, location))
        .json(super::view(stored, stats, &pii, &caller)?))
}

fn duplicate(matches: &[(Uuid, String)]) -> ApiError {
    let mut ext = serde_json::Map::new();
    ext.insert(
        "matches".into(),
        serde_json::json!(matches
            .iter()
            .map(|(id, on)| serde_json::json!({"customer_id": id, "matched_on": on}))
            .collect::<Vec<_>>()),
    );
    ApiError::ConflictWith {
        code: "duplicate_customer",
        detail: "a customer with the same phone, email or credit code exists; pass allow_duplicate=true to create anyway".into(),
        extensions: ext,
    }
}
