//! Events the shipments service emits (SPEC §7).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::money::Money;

/// The service that emits the events of this file.
const PRODUCER: &str = "shipments";

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
    /// Blind index (keyed HMAC) of the recipient's normalised phone, so other services can match
    /// an end customer's parcels by the `phone_hash` of a customer token without the phone.
    #[serde(default)]
    pub recipient_phone_hash: Option<String>,
}

event!(
    ShipmentCreatedV1,
    "shipment.created",
    "A waybill was created."
);

/// `shipment.status_changed`: a tracking event moved a shipment to another status (or substatus),
/// or the expiry sweep expired it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
pub struct ShipmentStatusChangedV1 {
    pub shipment_id: Uuid,
    pub tracking_number: String,
    pub merchant_id: Option<Uuid>,
    pub shipper_customer_id: Option<Uuid>,
    /// One of the 9 statuses of SPEC §5.
    pub from: String,
    pub to: String,
    pub substatus: Option<String>,
    /// Per-shipment sequence number of this change: receivers never move a shipment back.
    pub sequence: i64,
    /// When the scan happened (the sweep's time for `expired`).
    pub occurred_at: DateTime<Utc>,
    pub location: Option<PlaceV1>,
}

// A batch of scans writes its events as batches.
event!(
    ShipmentStatusChangedV1,
    "shipment.status_changed",
    "A shipment moved to another tracking status.",
    batched = true
);

/// `shipment.delivered`: a shipment was delivered.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
pub struct ShipmentDeliveredV1 {
    pub shipment_id: Uuid,
    pub tracking_number: String,
    pub merchant_id: Option<Uuid>,
    pub shipper_customer_id: Option<Uuid>,
    /// `signed` | `picked_up_by_customer` | `left_at_door` | `cod_collected`.
    pub substatus: Option<String>,
    pub promised_at: DateTime<Utc>,
    pub delivered_at: DateTime<Utc>,
    /// `delivered_at <= promised_at`.
    pub on_time: bool,
    pub sequence: i64,
    /// The earliest `in_transit` scan by `occurred_at`, when the shipment had one (a late,
    /// older scan moves no status, so no `shipment.status_changed` tells it). Absent from
    /// events of earlier releases.
    #[serde(default)]
    pub first_in_transit_at: Option<DateTime<Utc>>,
}

// A batch of scans writes its events as batches.
event!(
    ShipmentDeliveredV1,
    "shipment.delivered",
    "A shipment was delivered, on time or late.",
    batched = true
);

/// `shipment.exception_raised`: an exception scan was accepted — one that moved the shipment
/// into the `exception` status, or a late, older one that did not (it is stored in the
/// timeline all the same); a `shipment.status_changed` of the same `sequence` says it moved.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
pub struct ShipmentExceptionRaisedV1 {
    pub shipment_id: Uuid,
    pub tracking_number: String,
    pub merchant_id: Option<Uuid>,
    pub shipper_customer_id: Option<Uuid>,
    /// `delayed` | `lost` | `damaged` | `refused` | `returned_to_sender` | `customs_hold` |
    /// `address_issue` | `missorted`.
    pub substatus: Option<String>,
    pub occurred_at: DateTime<Utc>,
    pub location: Option<PlaceV1>,
    pub sequence: i64,
}

// A batch of scans writes its events as batches.
event!(
    ShipmentExceptionRaisedV1,
    "shipment.exception_raised",
    "An exception scan (delay, loss, damage...) was accepted, late or not.",
    batched = true
);

/// `shipment.eta_changed`: the estimated delivery time of a shipment changed.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
pub struct ShipmentEtaChangedV1 {
    pub shipment_id: Uuid,
    pub tracking_number: String,
    pub merchant_id: Option<Uuid>,
    pub shipper_customer_id: Option<Uuid>,
    pub old_estimated_delivery_at: Option<DateTime<Utc>>,
    pub new_estimated_delivery_at: DateTime<Utc>,
    pub sequence: i64,
}

// A batch of scans writes its events as batches.
event!(
    ShipmentEtaChangedV1,
    "shipment.eta_changed",
    "The estimated delivery time of a shipment changed.",
    batched = true
);

/// `notification.requested`: a proactive message about a shipment is due to one person, its
/// `addressee`. A shipment's update raises one such event per addressee, each with its own
/// `notification_id`: always one for the recipient (the person the parcel goes to), and one for
/// the shipper customer when the shipment names one and the template concerns them
/// (`shipment.delivered`, `shipment.exception`, `shipment.eta_slipped`,
/// `shipment.disruption`; `shipment.out_for_delivery` and `shipment.attempt_fail` are the
/// recipient's alone) — once, for the recipient, when both are the same customer file.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
pub struct NotificationRequestedV1 {
    pub notification_id: Uuid,
    /// `sms` | `app` | `email`: the addressee's preferred contact channel (`contact_channel` of
    /// `customer.created` / `customer.updated`, of the file `customer_id` names); a preference
    /// of `phone`, `wechat` or none, or an addressee without a customer file, is `sms`.
    pub channel: String,
    /// e.g. `shipment.out_for_delivery`.
    pub template_id: String,
    /// Template variables, e.g. `{"tracking_number": ..., "status": ..., "eta": ...}`.
    #[schema(value_type = Object)]
    pub variables: serde_json::Map<String, serde_json::Value>,
    pub shipment_id: Uuid,
    pub tracking_number: String,
    pub merchant_id: Option<Uuid>,
    pub shipper_customer_id: Option<Uuid>,
    /// `recipient` | `shipper`: whom the notification is for. Always set; an event raised
    /// before the field existed (without it, `customer_id` and `phone_hash`) was for the
    /// shipper customer when `shipper_customer_id` was set, else for the recipient.
    #[serde(default)]
    #[schema(required = true, value_type = String)]
    pub addressee: Option<String>,
    /// The addressee's customer file: for the shipper, `shipper_customer_id` (its survivor when
    /// it was merged away); for the recipient, a live file holding the recipient's phone (by
    /// blind index), `null` when no customer file does.
    #[serde(default)]
    #[schema(required = true)]
    pub customer_id: Option<Uuid>,
    /// For the recipient: the blind index (keyed HMAC) of their normalised phone — the
    /// `phone_hash` a customer token of that person carries, so the app backend finds its user
    /// without the phone (as `recipient_phone_hash` of `shipment.created`); `null` for the
    /// shipper, and once the recipient's data was erased.
    #[serde(default)]
    #[schema(required = true)]
    pub phone_hash: Option<String>,
}

// A batch of scans writes its events as batches.
event!(
    NotificationRequestedV1,
    "notification.requested",
    "A proactive shipment update should be sent to one person: the recipient or the shipper customer.",
    batched = true
);

/// `webhook.endpoint_disabled`: a webhook endpoint failed every delivery for the configured
/// period (3 days by default) and was disabled; its owner should fix it and register it again.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
pub struct WebhookEndpointDisabledV1 {
    pub webhook_id: Uuid,
    pub url: String,
    /// The merchant owning the endpoint (merchant subscriptions).
    pub merchant_id: Option<Uuid>,
    /// The token subject that registered it (app and admin subscriptions).
    pub owner_sub: Option<String>,
    /// Start of the unbroken run of failed deliveries.
    pub failing_since: DateTime<Utc>,
    pub disabled_at: DateTime<Utc>,
}

event!(
    WebhookEndpointDisabledV1,
    "webhook.endpoint_disabled",
    "A webhook endpoint kept failing and was disabled."
);
