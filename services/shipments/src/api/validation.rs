//! Requests into domain values: each body is validated once, every problem reported at once
//! (422 naming the fields), and what comes out is valid by construction. The rules themselves
//! (statuses, substatuses, clock skew, service levels) belong to `domain`.

use chrono::{DateTime, SubsecRound, Utc};
use kuaidi_shared::auth::{Principal, Role};
use kuaidi_shared::crypto::normalise_phone;
use kuaidi_shared::money::Money;
use kuaidi_shared::{ApiError, FieldError};

use super::shipments::{CreateShipment, Place};
use super::tracking_events::NewTrackingEvent;
use crate::domain::new_shipment::NewShipment;
use crate::domain::tracking::{earliest_time, substatus_fits, TrackingEvent, MAX_CLOCK_SKEW};
use crate::domain::{ServiceLevel, ShipmentStatus, Substatus, TrackingNumber};

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

/// Whether `promised_at` is a time a promise can have: any past time from 2000 on (historical
/// imports, integrators testing `on_time: false`) up to a year ahead — the SPEC sets no limit,
/// these only catch a typo in the year.
fn promise_is_plausible(promised_at: DateTime<Utc>, now: DateTime<Utc>) -> bool {
    promised_at >= earliest_time() && promised_at <= now + chrono::Duration::days(366)
}

impl CreateShipment {
    /// Validates the request for `caller` at `now` into a shipment; every problem is reported
    /// at once. A merchant naming another merchant's `merchant_id` is refused (403) before
    /// anything else: its own is taken from the token, and overriding what it sent silently
    /// would hide the integration's mistake.
    pub fn validate(self, caller: &Principal, now: DateTime<Utc>) -> Result<NewShipment, ApiError> {
        let req = self;
        if caller.role == Role::Merchant
            && req.merchant_id.is_some()
            && req.merchant_id != caller.merchant_id
        {
            return Err(ApiError::Forbidden(
                "a merchant creates shipments for itself only: merchant_id must be its own or \
                 left out"
                    .into(),
            ));
        }
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
        let tracking_number = match req
            .tracking_number
            .as_deref()
            .map(TrackingNumber::parse_supplied)
        {
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
            if !promise_is_plausible(p, now) {
                errors.push(FieldError::new(
                    "promised_at",
                    "must be from 2000-01-01 on and at most a year ahead",
                ));
            }
        }
        for (name, v) in [("carrier", &req.carrier), ("lane", &req.lane)] {
            if v.as_deref().is_some_and(|s| s.chars().count() > 64) {
                errors.push(FieldError::new(name, "must be at most 64 characters"));
            }
        }
        match (errors.is_empty(), level, freight, merchant_id, phone) {
            (true, Some(level), Some(freight_minor), Some(merchant_id), Some(phone)) => {
                Ok(NewShipment {
                    tracking_number,
                    merchant_id,
                    shipper_customer_id: req.shipper_customer_id,
                    recipient_phone_normalised: phone,
                    recipient: req.recipient,
                    origin: req.origin.normalised(),
                    destination: req.destination.normalised(),
                    service_level: level,
                    weight_kg: req.weight_kg,
                    pieces,
                    currency,
                    freight_minor,
                    declared_value_minor: declared,
                    cod_amount_minor: cod,
                    // Stored to the microsecond: a caller's finer time is answered as kept.
                    promised_at: req
                        .promised_at
                        .map_or(now + level.default_transit(), |p| p.trunc_subsecs(6)),
                    carrier: req.carrier,
                    lane: req.lane,
                })
            }
            _ => Err(ApiError::Validation(errors)),
        }
    }
}

fn optional_text(errors: &mut Vec<FieldError>, field: &str, v: Option<&str>, max: usize) {
    if v.is_some_and(|s| s.chars().count() > max) {
        errors.push(FieldError::new(
            field,
            format!("must be at most {max} characters"),
        ));
    }
}

impl NewTrackingEvent {
    /// Validates the scan received at `now` into a domain event; every problem is reported at
    /// once.
    pub fn validate(self, now: DateTime<Utc>) -> Result<TrackingEvent, Vec<FieldError>> {
        let req = self;
        let mut errors = Vec::new();
        let id_len = req.event_id.chars().count();
        if req.event_id.trim().is_empty() || id_len > 100 {
            errors.push(FieldError::new("event_id", "must be 1–100 characters"));
        }
        let status = ShipmentStatus::parse(&req.status);
        match status {
            None => errors.push(FieldError::new(
                "status",
                "must be one of pending, info_received, in_transit, out_for_delivery, \
                 attempt_fail, available_for_pickup, delivered, exception",
            )),
            Some(ShipmentStatus::Expired) => errors.push(FieldError::new(
                "status",
                "expired is set by Kuaidi's sweep, not by scans",
            )),
            Some(_) => {}
        }
        let substatus = match req.substatus.as_deref().map(|s| (s, Substatus::parse(s))) {
            None => None,
            Some((_, Some(sub))) if status.is_some_and(|st| substatus_fits(st, sub)) => Some(sub),
            Some((raw, _)) => {
                let of = status.map_or(req.status.clone(), |st| st.as_str().to_owned());
                errors.push(FieldError::new(
                    "substatus",
                    format!("{raw:?} is not a substatus of {of}"),
                ));
                None
            }
        };
        let occurred_at = match DateTime::parse_from_rfc3339(&req.occurred_at) {
            Ok(t) if t.with_timezone(&Utc) > now + MAX_CLOCK_SKEW => {
                errors.push(FieldError::new(
                    "occurred_at",
                    "must not be more than 5 minutes in the future",
                ));
                None
            }
            Ok(t) if t.with_timezone(&Utc) < earliest_time() => {
                errors.push(FieldError::new(
                    "occurred_at",
                    "must be from 2000-01-01 on (an older time is a reset clock)",
                ));
                None
            }
            // Stored to the microsecond: events and reads tell the same time.
            Ok(t) => Some(t.with_timezone(&Utc).trunc_subsecs(6)),
            Err(_) => {
                errors.push(FieldError::new(
                    "occurred_at",
                    "must be an RFC 3339 timestamp",
                ));
                None
            }
        };
        if let Some(l) = &req.location {
            optional_text(&mut errors, "location.hub_code", l.hub_code.as_deref(), 64);
            optional_text(&mut errors, "location.city", l.city.as_deref(), 64);
            optional_text(&mut errors, "location.province", l.province.as_deref(), 64);
        }
        optional_text(&mut errors, "description", req.description.as_deref(), 500);
        optional_text(&mut errors, "courier_id", req.courier_id.as_deref(), 64);
        match req.signed_by.as_deref() {
            Some(_) if status.is_some_and(|s| s != ShipmentStatus::Delivered) => {
                errors.push(FieldError::new("signed_by", "is only for delivered events"))
            }
            Some(name) if name.trim().is_empty() => {
                errors.push(FieldError::new("signed_by", "must not be blank"))
            }
            Some(name) => optional_text(&mut errors, "signed_by", Some(name), 100),
            None => {}
        }
        match (errors.is_empty(), status, occurred_at) {
            (true, Some(status), Some(occurred_at)) => Ok(TrackingEvent {
                event_id: req.event_id,
                status,
                substatus,
                occurred_at,
                location: req.location.map(|l| l.normalised()),
                description: req.description,
                courier_id: req.courier_id,
                signed_by: req.signed_by.map(|n| n.trim().to_owned()),
            }),
            _ => Err(errors),
        }
    }
}

#[cfg(test)]
#[path = "validation_tests.rs"]
mod tests;
