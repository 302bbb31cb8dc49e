//! `POST /api/v1/shipments`.

use actix_web::http::header::LOCATION;
use actix_web::{web, HttpResponse};
use chrono::{DateTime, Utc};
use diesel::PgConnection;
use kuaidi_shared::auth::Role;
use kuaidi_shared::capabilities::{caps, Authorized};
use kuaidi_shared::clock::new_id;
use kuaidi_shared::crypto::PiiCipher;
use kuaidi_shared::db;
use kuaidi_shared::deps::Deps;
use kuaidi_shared::events::catalogue::PlaceV1;
use kuaidi_shared::events::Outbox;
use kuaidi_shared::extract::Json;
use kuaidi_shared::openapi::{InvalidFields, NoValidToken};
use kuaidi_shared::request::RequestContext;
use kuaidi_shared::ApiError;

use crate::api::problems::{MayNotCreateShipments, TrackingNumberTaken, UnknownShipper};
use crate::api::shipments::{CreateShipment, Place, Shipment};
use crate::db::customers;
use crate::db::shipments::ShipmentRow;
use crate::db::tracking_cache::Caches;
use crate::domain::eta::{EtaRules, Lane};
use crate::domain::new_shipment::NewShipment;
use crate::domain::ShipmentStatus;
use crate::events::Emitter;
use crate::workflow::ingest::initial_eta;
use crate::workflow::numbering;

/// How long a merchant's new shipment waits for the customer file it names as shipper to
/// reach this service, when it is not known yet.
const PATIENCE: std::time::Duration = std::time::Duration::from_secs(1);

/// Creates a waybill and emits `shipment.created`.
#[utoipa::path(post, path = "/api/v1/shipments", tag = "shipments", request_body = CreateShipment,
    responses((status = 201, description = "Created; `Location` names the shipment", body = Shipment),
        NoValidToken, MayNotCreateShipments, UnknownShipper, TrackingNumberTaken, InvalidFields))]
pub async fn create_shipment(
    caller: Authorized<caps::ShipmentsCreate>,
    ctx: RequestContext,
    body: Json<CreateShipment>,
    deps: Deps,
    rules: web::Data<EtaRules>,
    caches: web::Data<Caches>,
) -> Result<HttpResponse, ApiError> {
    // To the microsecond PostgreSQL keeps, like every time the answer shows (`promised_at`
    // from it or the caller's, truncated): the answer, its replay and `shipment.created` say
    // what a later read says.
    let now = deps.clock.now_micros();
    let new = body.into_inner().validate(&caller, now)?;
    let row = row_of(&new, &deps.pii, now);
    // A merchant names only its own customers as shipper (another tenant's is not there); one
    // created a moment ago may still be on its way here.
    let tenant = (caller.role == Role::Merchant).then_some(new.merchant_id);
    if let (Some(merchant), Some(shipper)) = (tenant, new.shipper_customer_id) {
        let theirs =
            move |conn: &mut PgConnection| customers::TENANTS.belongs_to(conn, shipper, merchant);
        if !db::known_soon(&deps.pool, PATIENCE, theirs).await? {
            return Err(ApiError::NotFound("customer"));
        }
    }
    let stored = db::transaction(&deps.pool, move |conn| {
        store(conn, row, &new, &ctx, now, &rules)
    })
    .await?;
    // Nothing cached can name a number that had no shipment; forgotten all the same, as by
    // every writer, before it answers.
    caches.forget([&stored.tracking_number]);
    deps.outbox.wake();
    let location = format!("/api/v1/shipments/{}", stored.tracking_number);
    let (body, unmasked) = super::views(vec![stored], Default::default(), &deps.pii, &caller)?;
    let mut resp = HttpResponse::Created()
        .insert_header((LOCATION, location))
        .json(&body[0]);
    super::mark_unmasked(&mut resp, &unmasked);
    Ok(resp)
}

/// Estimates the waybill's delivery, numbers and stores it (under the caller's number, or one
/// drawn at random: [`numbering`]) and writes `shipment.created`, in the caller's transaction.
fn store(
    conn: &mut PgConnection,
    mut row: ShipmentRow,
    new: &NewShipment,
    ctx: &RequestContext,
    now: DateTime<Utc>,
    rules: &EtaRules,
) -> Result<ShipmentRow, ApiError> {
    let lane = Lane {
        origin_city: row.origin_city.clone(),
        destination_city: row.destination_city.clone(),
        service_level: row.service_level.clone(),
    };
    row.estimated_delivery_at = Some(initial_eta(conn, lane, new.service_level, now, rules)?);
    numbering::insert(conn, &mut row, numbering::draw)?;
    let event = Emitter { ctx, now }.created(&row, place(&new.origin), place(&new.destination));
    Outbox::enqueue(conn, &event)?;
    Ok(row)
}

/// The row of a new shipment, its recipient sealed and indexed by phone.
fn row_of(new: &NewShipment, pii: &PiiCipher, now: DateTime<Utc>) -> ShipmentRow {
    ShipmentRow {
        id: new_id(),
        tracking_number: new
            .tracking_number
            .as_ref()
            .map(ToString::to_string)
            .unwrap_or_default(),
        merchant_id: Some(new.merchant_id),
        shipper_customer_id: new.shipper_customer_id,
        recipient_sealed: pii.seal_json(&new.recipient),
        recipient_phone_index: pii.blind_index(&new.recipient_phone_normalised),
        origin_city: new.origin.city.clone(),
        origin_province: new.origin.province.clone(),
        origin_hub_code: new.origin.hub_code.clone(),
        destination_city: new.destination.city.clone(),
        destination_province: new.destination.province.clone(),
        destination_hub_code: new.destination.hub_code.clone(),
        service_level: new.service_level.as_str().to_owned(),
        carrier: new.carrier.clone(),
        lane: new.lane.clone(),
        weight_kg: new.weight_kg,
        pieces: new.pieces,
        currency: new.currency.clone(),
        freight_minor: new.freight_minor,
        declared_value_minor: new.declared_value_minor,
        cod_amount_minor: new.cod_amount_minor,
        promised_at: new.promised_at,
        estimated_delivery_at: Some(new.promised_at),
        status: ShipmentStatus::Pending.as_str().to_owned(),
        substatus: None,
        delivered_at: None,
        signed_by: None,
        last_event_at: None,
        last_sequence: 1,
        created_at: now,
        updated_at: now,
        version: 1,
    }
}

fn place(p: &Place) -> PlaceV1 {
    PlaceV1 {
        city: p.city.clone(),
        province: p.province.clone(),
        hub_code: p.hub_code.clone(),
    }
}
