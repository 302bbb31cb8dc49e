//! Shipment request/response bodies.

use chrono::{DateTime, Utc};
use kuaidi_shared::money::Money;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

pub use crate::domain::new_shipment::{Place, Recipient};
use crate::domain::tracking::EventLocation;
use crate::domain::{ServiceLevel, ShipmentStatus, Substatus};

/// Body of `POST /api/v1/shipments`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "recipient": {"name": "张三", "phone": "13812345678", "address": "朝阳区建国路 88 号", "city": "北京"},
    "origin": {"city": "上海", "province": "上海", "hub_code": "SHA01"},
    "destination": {"city": "北京", "province": "北京", "hub_code": "PEK02"},
    "service_level": "express",
    "weight_kg": 1.2,
    "freight": {"amount": "18.00", "currency": "CNY"},
    "merchant_id": "0193a0c4-8a6e-7c1a-9a51-5f0c2b1d7e01"
}))]
pub struct CreateShipment {
    pub recipient: Recipient,
    pub origin: Place,
    pub destination: Place,
    #[schema(value_type = crate::domain::ServiceLevel)]
    pub service_level: String,
    pub weight_kg: f64,
    pub freight: Money,
    /// The carrier's number: 8–40 letters and digits, single `-` between them (stored
    /// upper-cased). Left out, Kuaidi issues a random S10 number of its series (`KD`, 8 digits,
    /// check digit, `CN`); a number of that series may not be supplied (`422`).
    #[serde(default)]
    pub tracking_number: Option<String>,
    #[serde(default)]
    pub shipper_customer_id: Option<Uuid>,
    /// Taken from the token for merchants, who may leave it out or give their own (another
    /// merchant's is a `403`); required for everyone else.
    #[serde(default)]
    pub merchant_id: Option<Uuid>,
    #[serde(default)]
    pub declared_value: Option<Money>,
    #[serde(default)]
    pub cod_amount: Option<Money>,
    /// Defaults to creation time plus the service level's transit time. Any RFC 3339 time from
    /// 2000-01-01 to a year ahead, past ones included (imports; `on_time` is then false).
    #[serde(default)]
    pub promised_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub pieces: Option<i32>,
    #[serde(default)]
    pub carrier: Option<String>,
    #[serde(default)]
    pub lane: Option<String>,
}

/// One accepted tracking event of a shipment's timeline.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct TimelineEntry {
    pub sequence: i64,
    pub event_id: String,
    pub status: ShipmentStatus,
    pub substatus: Option<Substatus>,
    pub occurred_at: DateTime<Utc>,
    /// Where the scan happened, as it was sent: a part not sent is `null`; no part sent, no
    /// location.
    pub location: Option<EventLocation>,
    /// The scan's note as sent, with its phone numbers masked for a reader who sees the
    /// recipient masked.
    pub description: Option<String>,
    /// The courier who scanned it, when the scan named one.
    pub courier_id: Option<String>,
}

/// A shipment as its reader may see it. Staff with the PII right and the shipment's merchant
/// see it whole. Agents, analysts and operators see the recipient, `signed_by` and every phone
/// number in the timeline's descriptions masked (`139****5678`). An end customer (`customer`
/// token) sees `merchant_id` and `freight` as `null` (the merchant's commercial terms); on a
/// parcel sent to their phone `shipper_customer_id` is `null` too (the sender's file), on a
/// parcel they sent the recipient is masked (someone else's) as are phones in descriptions.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Shipment {
    pub id: Uuid,
    pub tracking_number: String,
    /// `null` for an end customer.
    pub merchant_id: Option<Uuid>,
    /// The sender's customer file; `null` for an end customer reading a parcel sent to them.
    pub shipper_customer_id: Option<Uuid>,
    /// Masked for a reader without the right to see it.
    pub recipient: Recipient,
    pub origin: Place,
    pub destination: Place,
    pub service_level: ServiceLevel,
    pub carrier: Option<String>,
    pub lane: Option<String>,
    pub weight_kg: f64,
    pub pieces: i32,
    pub declared_value: Option<Money>,
    pub cod_amount: Option<Money>,
    /// What the merchant pays for the shipment; `null` for an end customer.
    pub freight: Option<Money>,
    pub promised_at: DateTime<Utc>,
    pub estimated_delivery_at: Option<DateTime<Utc>>,
    pub status: ShipmentStatus,
    pub substatus: Option<Substatus>,
    pub delivered_at: Option<DateTime<Utc>>,
    /// Who signed for it; masked like the recipient.
    pub signed_by: Option<String>,
    pub last_event_at: Option<DateTime<Utc>>,
    /// Sequence number of the latest change.
    pub sequence: i64,
    /// Every accepted tracking event, oldest first.
    pub timeline: Vec<TimelineEntry>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: i32,
}
