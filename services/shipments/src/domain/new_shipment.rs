//! A shipment ready to be stored, valid by construction (`api::validation` builds it from a
//! request), and the places and recipient it names.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::{ServiceLevel, TrackingNumber};

/// The recipient (PII: encrypted at rest, masked for callers without the right to see it).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
#[schema(example = json!({"name": "张三", "phone": "13812345678", "address": "朝阳区建国路 88 号", "city": "北京"}))]
pub struct Recipient {
    pub name: String,
    pub phone: String,
    pub address: String,
    pub city: String,
}

/// A place on the route.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
#[schema(example = json!({"city": "上海", "province": "上海", "hub_code": "SHA01"}))]
pub struct Place {
    /// Stored trimmed.
    pub city: String,
    /// Stored trimmed; blank is none.
    #[serde(default)]
    pub province: Option<String>,
    /// Stored trimmed and upper-cased (`" pek02"` is `PEK02`); blank is none.
    #[serde(default)]
    pub hub_code: Option<String>,
}

/// A shipment ready to be stored.
#[derive(Debug, Clone)]
pub struct NewShipment {
    /// `None` when Kuaidi must generate one.
    pub tracking_number: Option<TrackingNumber>,
    pub merchant_id: Uuid,
    pub shipper_customer_id: Option<Uuid>,
    pub recipient: Recipient,
    pub recipient_phone_normalised: String,
    pub origin: Place,
    pub destination: Place,
    pub service_level: ServiceLevel,
    pub weight_kg: f64,
    pub pieces: i32,
    pub currency: String,
    pub freight_minor: i64,
    pub declared_value_minor: Option<i64>,
    pub cod_amount_minor: Option<i64>,
    pub promised_at: DateTime<Utc>,
    pub carrier: Option<String>,
    pub lane: Option<String>,
}
