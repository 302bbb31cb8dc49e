//! Event payloads: one versioned struct per event type, used by the producer and every consumer,
//! and rendered into `proto-docs/asyncapi.yaml`.
// NOTE: these structs are an external contract (consumers and webhooks depend on them): add
// optional fields freely, but a breaking change needs a new version (`...V2`).

use chrono::{DateTime, Utc};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::money::Money;

/// A typed event payload.
pub trait EventPayload: Serialize + DeserializeOwned + ToSchema {
    /// The event type and routing key, e.g. `shipment.created`.
    const TYPE: &'static str;
    const VERSION: u32;
    /// The service that emits it.
    const PRODUCER: &'static str;
    const SUMMARY: &'static str;
}

/// A place on a shipment's route.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
pub struct PlaceV1 {
    pub city: String,
    #[serde(default)]
    pub province: Option<String>,
    #[serde(default)]
    pub hub_code: Option<String>,
}

/// `shipment.created`: a waybill was created.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
pub struct ShipmentCreatedV1 {
    pub shipment_id: Uuid,
    pub tracking_number: String,
    pub merchant_id: Option<Uuid>,
    pub shipper_customer_id: Option<Uuid>,
    /// `standard` | `express` | `same_day` | `scheduled` | `cold_chain` | `international`.
    pub service_level: String,
    pub origin: PlaceV1,
    pub destination: PlaceV1,
    pub weight_kg: f64,
    pub freight: Money,
    pub declared_value: Option<Money>,
    pub cod_amount: Option<Money>,
    pub promised_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    /// Per-shipment sequence number of this change (1 for creation).
    pub sequence: i64,
}

impl EventPayload for ShipmentCreatedV1 {
    const TYPE: &'static str = "shipment.created";
    const VERSION: u32 = 1;
    const PRODUCER: &'static str = "shipments";
    const SUMMARY: &'static str = "A waybill was created.";
}

/// `complaint.received`: a feedback case was opened.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
pub struct ComplaintReceivedV1 {
    pub complaint_id: Uuid,
    pub number: String,
    /// `complaint` | `suggestion` | `inquiry` | `praise`.
    #[serde(rename = "type")]
    pub type_: String,
    pub channel: String,
    pub category: Option<String>,
    pub priority: String,
    pub customer_id: Option<Uuid>,
    pub merchant_id: Option<Uuid>,
    pub tracking_number: Option<String>,
    pub city: Option<String>,
    pub received_at: DateTime<Utc>,
}

impl EventPayload for ComplaintReceivedV1 {
    const TYPE: &'static str = "complaint.received";
    const VERSION: u32 = 1;
    const PRODUCER: &'static str = "complaints";
    const SUMMARY: &'static str = "A complaint, suggestion, inquiry or praise was received.";
}

/// `customer.created`: a customer file was opened.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
pub struct CustomerCreatedV1 {
    pub customer_id: Uuid,
    /// `individual` | `business`.
    pub kind: String,
    pub merchant_id: Option<Uuid>,
    pub owner_id: Option<Uuid>,
    pub city: Option<String>,
    pub province: Option<String>,
    pub value_tier: String,
    pub lifecycle_stage: String,
    pub created_at: DateTime<Utc>,
}

impl EventPayload for CustomerCreatedV1 {
    const TYPE: &'static str = "customer.created";
    const VERSION: u32 = 1;
    const PRODUCER: &'static str = "customers";
    const SUMMARY: &'static str = "A customer file was created.";
}

/// Everything needed to document one event type.
pub struct EventDoc {
    pub type_: &'static str,
    pub version: u32,
    pub producer: &'static str,
    pub summary: &'static str,
    pub payload_name: String,
    pub schemas: Vec<(
        String,
        utoipa::openapi::RefOr<utoipa::openapi::schema::Schema>,
    )>,
}

fn doc<P: EventPayload>() -> EventDoc {
    let mut schemas = Vec::new();
    P::schemas(&mut schemas);
    schemas.push((P::name().into_owned(), P::schema()));
    EventDoc {
        type_: P::TYPE,
        version: P::VERSION,
        producer: P::PRODUCER,
        summary: P::SUMMARY,
        payload_name: P::name().into_owned(),
        schemas,
    }
}

/// The whole catalogue, in SPEC §7 order.
pub fn catalogue() -> Vec<EventDoc> {
    vec![
        doc::<CustomerCreatedV1>(),
        doc::<ShipmentCreatedV1>(),
        doc::<ComplaintReceivedV1>(),
    ]
}
