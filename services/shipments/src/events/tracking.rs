//! The events of a tracking change — `shipment.status_changed`, `shipment.delivered`,
//! `shipment.exception_raised`, `shipment.eta_changed` and `notification.requested` — composed
//! from the constructors of [`super::emit`].

use chrono::{DateTime, Utc};
use kuaidi_shared::events::catalogue::PlaceV1;
use kuaidi_shared::events::CloudEvent;

use super::emit::{About, Emitter, StatusChange};
use crate::db::tracking_events::{ExpiredRow, TrackedShipment};
use crate::domain::notification::Notice;
use crate::domain::tracking::{EventLocation, TrackState, TrackingEvent, Transition};
use crate::domain::ShipmentStatus;

impl From<&TrackedShipment> for About {
    fn from(s: &TrackedShipment) -> Self {
        Self {
            shipment_id: s.id,
            tracking_number: s.tracking_number.clone(),
            merchant_id: s.merchant_id,
            shipper_customer_id: s.shipper_customer_id,
        }
    }
}

impl From<&ExpiredRow> for About {
    fn from(r: &ExpiredRow) -> Self {
        Self {
            shipment_id: r.id,
            tracking_number: r.tracking_number.clone(),
            merchant_id: r.merchant_id,
            shipper_customer_id: r.shipper_customer_id,
        }
    }
}

/// The events of one tracked shipment.
pub struct Tracked<'a> {
    pub emit: &'a Emitter<'a>,
    pub shipment: &'a TrackedShipment,
    pub about: About,
}

impl<'a> Tracked<'a> {
    pub fn new(emit: &'a Emitter<'a>, shipment: &'a TrackedShipment) -> Self {
        Self {
            emit,
            shipment,
            about: About::from(shipment),
        }
    }

    /// `shipment.status_changed`, then `shipment.delivered` or `shipment.exception_raised`, of
    /// a scan that moved the shipment to `state` (after the scan: its delivery time and
    /// earliest in-transit scan).
    pub fn moved(
        &self,
        ev: &TrackingEvent,
        t: Transition,
        sequence: i64,
        state: &TrackState,
    ) -> Vec<CloudEvent> {
        let change = change(ev, t.from, t.to, sequence);
        let then = match t.to {
            ShipmentStatus::Delivered => Some(self.emit.delivered(
                &self.about,
                self.shipment.promised_at,
                state.delivered_at.unwrap_or(ev.occurred_at),
                state.first_in_transit_at,
                &change,
            )),
            ShipmentStatus::Exception => Some(self.emit.exception_raised(&self.about, &change)),
            _ => None,
        };
        let mut out = vec![self.emit.status_changed(&self.about, change)];
        out.extend(then);
        out
    }

    /// What an accepted scan that moved no status still tells: an exception is raised all the
    /// same (SPEC §5 "an exception emits `shipment.exception_raised`") — late and older than
    /// the status, after the delivery, or the same exception again — with the scan's time,
    /// substatus, place and sequence; anything else joins the timeline silently.
    pub fn unmoved(
        &self,
        ev: &TrackingEvent,
        sequence: i64,
        status: ShipmentStatus,
    ) -> Option<CloudEvent> {
        (ev.status == ShipmentStatus::Exception).then(|| {
            let change = change(ev, status, status, sequence);
            self.emit.exception_raised(&self.about, &change)
        })
    }

    /// `shipment.eta_changed` from the shipment's stored ETA to `new`.
    pub fn eta_changed(&self, new: DateTime<Utc>, sequence: i64) -> CloudEvent {
        let old = self.shipment.estimated_delivery_at;
        self.emit.eta_changed(&self.about, old, new, sequence)
    }

    /// `notification.requested` for `to` with the shipment's status and ETA.
    pub fn notification(
        &self,
        to: &Notice,
        template: &str,
        status: ShipmentStatus,
        eta: Option<DateTime<Utc>>,
    ) -> CloudEvent {
        let mut variables = serde_json::Map::new();
        variables.insert("eta".into(), serde_json::json!(eta));
        self.emit
            .notification(&self.about, to, template, status.as_str(), variables)
    }
}

/// `shipment.status_changed` to `expired` of a shipment the sweep expired.
pub fn expired(emit: &Emitter<'_>, r: &ExpiredRow) -> CloudEvent {
    let change = StatusChange {
        from: r.from_status.clone(),
        to: ShipmentStatus::Expired.as_str().into(),
        substatus: None,
        sequence: r.last_sequence,
        occurred_at: emit.now,
        location: None,
    };
    emit.status_changed(&About::from(r), change)
}

/// The change a scan tells, from `from` to `to`, with its substatus, time and place.
fn change(
    ev: &TrackingEvent,
    from: ShipmentStatus,
    to: ShipmentStatus,
    sequence: i64,
) -> StatusChange {
    StatusChange {
        from: from.as_str().to_owned(),
        to: to.as_str().to_owned(),
        substatus: ev.substatus.map(|x| x.as_str().to_owned()),
        sequence,
        occurred_at: ev.occurred_at,
        location: ev.location.as_ref().map(place),
    }
}

fn place(l: &EventLocation) -> PlaceV1 {
    PlaceV1 {
        city: l.city.clone().unwrap_or_default(),
        province: l.province.clone(),
        hub_code: l.hub_code.clone(),
    }
}
