//! Validation of a shipment creation request into a value that is valid by construction.

use chrono::{DateTime, Utc};
use kuaidi_shared::auth::{Principal, Role};
use kuaidi_shared::crypto::normalise_phone;
use kuaidi_shared::money::Money;
use kuaidi_shared::{ApiError, FieldError};
use uuid::Uuid;

use super::{ServiceLevel, TrackingNumber};
use crate::api::shipments::{CreateShipment, Place, Recipient};

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

fn required(errors: &mut Vec<FieldError>, field: &str, value: &str, max: usize) {
    if value.trim().is_empty() {
        errors.push(FieldError::new(field, "is required"));
    } else if value.chars().count() > max {
        errors.push(FieldError::new(
            field,
            format!("must be at most {max} characters"),
        ));
    }
}

fn place(errors: &mut Vec<FieldError>, prefix: &str, p: &Place) {
    required(errors, &format!("{prefix}.city"), &p.city, 64);
    for (name, v) in [("province", &p.province), ("hub_code", &p.hub_code)] {
        if v.as_deref().is_some_and(|s| s.chars().count() > 64) {
            errors.push(FieldError::new(
                format!("{prefix}.{name}"),
                "must be at most 64 characters",
            ));
        }
    }
}

fn money(errors: &mut Vec<FieldError>, field: &str, m: &Money, currency: &str) -> Option<i64> {
    match m.to_minor() {
        Ok(v) if m.currency == currency => Some(v),
        Ok(_) => {
            errors.push(FieldError::new(field, "must use the freight's currency"));
            None
        }
        Err(e) => {
            errors.push(FieldError::new(field, e));
            None
        }
    }
}

impl NewShipment {
    /// Validates `req` for `caller` at `now`; every problem is reported at once.
    pub fn parse(
        req: CreateShipment,
        caller: &Principal,
        now: DateTime<Utc>,
    ) -> Result<Self, ApiError> {
        let mut errors = Vec::new();
        let r = &req.recipient;
        required(&mut errors, "recipient.name", &r.name, 100);
        required(&mut errors, "recipient.address", &r.address, 300);
        required(&mut errors, "recipient.city", &r.city, 64);
        let phone = normalise_phone(&r.phone);
        if phone.is_none() {
            errors.push(FieldError::new("recipient.phone", "must be a phone number"));
        }
        place(&mut errors, "origin", &req.origin);
        place(&mut errors, "destination", &req.destination);
        let level = ServiceLevel::parse(&req.service_level);
        if level.is_none() {
            errors.push(FieldError::new(
                "service_level",
                "must be one of standard, express, same_day, scheduled, cold_chain, international",
            ));
        }
        if !(req.weight_kg.is_finite() && req.weight_kg > 0.0 && req.weight_kg <= 100_000.0) {
            errors.push(FieldError::new(
                "weight_kg",
                "must be greater than 0 and at most 100000",
            ));
        }
        let pieces = req.pieces.unwrap_or(1);
        if !(1..=10_000).contains(&pieces) {
            errors.push(FieldError::new("pieces", "must be between 1 and 10000"));
        }
        let currency = req.freight.currency.clone();
        let freight = money(&mut errors, "freight", &req.freight, &currency);
        let declared = req
            .declared_value
            .as_ref()
            .and_then(|m| money(&mut errors, "declared_value", m, &currency));
        let cod = req
            .cod_amount
            .as_ref()
            .and_then(|m| money(&mut errors, "cod_amount", m, &currency));
        let tracking_number = match req.tracking_number.as_deref().map(TrackingNumber::parse) {
            Some(Ok(tn)) => Some(tn),
            Some(Err(e)) => {
                errors.push(FieldError::new("tracking_number", e));
                None
            }
            None => None,
        };
        let merchant_id = match caller.role {
            Role::Merchant => caller.merchant_id,
            _ => req.merchant_id,
        };
        if merchant_id.is_none() {
            errors.push(FieldError::new("merchant_id", "is required"));
        }
        if let Some(p) = req.promised_at {
            if p <= now {
                errors.push(FieldError::new("promised_at", "must be in the future"));
            }
        }
        for (name, v) in [("carrier", &req.carrier), ("lane", &req.lane)] {
            if v.as_deref().is_some_and(|s| s.chars().count() > 64) {
                errors.push(FieldError::new(name, "must be at most 64 characters"));
            }
        }
        match (errors.is_empty(), level, freight, merchant_id, phone) {
            (true, Some(level), Some(freight_minor), Some(merchant_id), Some(phone)) => Ok(Self {
                tracking_number,
                merchant_id,
                shipper_customer_id: req.shipper_customer_id,
                recipient_phone_normalised: phone,
                recipient: req.recipient,
                origin: req.origin,
                destination: req.destination,
                service_level: level,
                weight_kg: req.weight_kg,
                pieces,
                currency,
                freight_minor,
                declared_value_minor: declared,
                cod_amount_minor: cod,
                promised_at: req.promised_at.unwrap_or(now + level.default_transit()),
                carrier: req.carrier,
                lane: req.lane,
            }),
            _ => Err(ApiError::Validation(errors)),
        }
    }
}
