//! The events of tracking changes: `shipment.status_changed`, `shipment.delivered`,
//! `shipment.exception_raised`, `shipment.eta_changed` and `notification.requested`.

use chrono::{DateTime, Utc};
use kuaidi_shared::events::catalogue::{
    NotificationRequestedV1, PlaceV1, ShipmentDeliveredV1, ShipmentEtaChangedV1,
    ShipmentExceptionRaisedV1, ShipmentStatusChangedV1,
};
use kuaidi_shared::events::{CloudEvent, EventPayload};
use kuaidi_shared::request::RequestContext;
use uuid::Uuid;

use crate::api::tracking_events::EventLocation;
use crate::db::tracking_events::TrackedShipment;
use crate::domain::tracking::{TrackingEvent, Transition};
use crate::domain::ShipmentStatus;

/// Builds envelopes for one shipment, at one time, in one request's trace.
pub struct Emitter<'a> {
    pub shipment: &'a TrackedShipment,
    pub ctx: &'a RequestContext,
    pub now: DateTime<Utc>,
}

impl Emitter<'_> {
    fn envelope<P: EventPayload>(&self, payload: &P) -> CloudEvent {
        CloudEvent::new(
            crate::SERVICE,
            self.shipment.id.to_string(),
            payload,
            self.ctx,
            Uuid::now_v7(),
            self.now,
        )
    }

    /// `shipment.status_changed`, then `shipment.delivered` or `shipment.exception_raised`.
    pub fn moved(
        &self,
        ev: &TrackingEvent,
        t: Transition,
        sequence: i64,
        delivered_at: Option<DateTime<Utc>>,
    ) -> Vec<CloudEvent> {
        let s = self.shipment;
        let sub = t.substatus.map(|x| x.as_str().to_owned());
        let location = ev.location.as_ref().map(place);
        let mut out = vec![self.envelope(&ShipmentStatusChangedV1 {
            shipment_id: s.id,
            tracking_number: s.tracking_number.clone(),
            merchant_id: s.merchant_id,
            shipper_customer_id: s.shipper_customer_id,
            from: t.from.as_str().to_owned(),
            to: t.to.as_str().to_owned(),
            substatus: sub.clone(),
            sequence,
            occurred_at: ev.occurred_at,
            location: location.clone(),
        })];
        match t.to {
            ShipmentStatus::Delivered => {
                let delivered_at = delivered_at.unwrap_or(ev.occurred_at);
                out.push(self.envelope(&ShipmentDeliveredV1 {
                    shipment_id: s.id,
                    tracking_number: s.tracking_number.clone(),
                    merchant_id: s.merchant_id,
                    shipper_customer_id: s.shipper_customer_id,
                    substatus: sub,
                    promised_at: s.promised_at,
                    delivered_at,
                    on_time: delivered_at <= s.promised_at,
                    sequence,
                }));
            }
            ShipmentStatus::Exception => {
                out.push(self.envelope(&ShipmentExceptionRaisedV1 {
                    shipment_id: s.id,
                    tracking_number: s.tracking_number.clone(),
                    merchant_id: s.merchant_id,
                    shipper_customer_id: s.shipper_customer_id,
                    substatus: sub,
                    occurred_at: ev.occurred_at,
                    location,
                    sequence,
                }));
            }
            _ => {}
        }
        out
    }

    /// `shipment.eta_changed` from the shipment's stored ETA to `new`.
    pub fn eta_changed(&self, new: DateTime<Utc>, sequence: i64) -> CloudEvent {
        let s = self.shipment;
        self.envelope(&ShipmentEtaChangedV1 {
            shipment_id: s.id,
            tracking_number: s.tracking_number.clone(),
            merchant_id: s.merchant_id,
            shipper_customer_id: s.shipper_customer_id,
            old_estimated_delivery_at: s.estimated_delivery_at,
            new_estimated_delivery_at: new,
            sequence,
        })
    }

    /// `notification.requested` (SPEC §5 "Proactive notifications").
    pub fn notification(
        &self,
        template: &str,
        status: ShipmentStatus,
        eta: Option<DateTime<Utc>>,
    ) -> CloudEvent {
        let s = self.shipment;
        let mut variables = serde_json::Map::new();
        variables.insert("tracking_number".into(), s.tracking_number.clone().into());
        variables.insert("status".into(), status.as_str().into());
        variables.insert(
            "eta".into(),
            eta.map_or(serde_json::Value::Null, |e| e.to_rfc3339().into()),
        );
        self.envelope(&NotificationRequestedV1 {
            notification_id: Uuid::now_v7(),
            // NOTE: customers' channel preferences are not known to this service; SMS reaches
            // every recipient.
            channel: "sms".into(),
            template_id: template.into(),
            variables,
            shipment_id: s.id,
            tracking_number: s.tracking_number.clone(),
            merchant_id: s.merchant_id,
            shipper_customer_id: s.shipper_customer_id,
        })
    }
}

fn place(l: &EventLocation) -> PlaceV1 {
    PlaceV1 {
        city: l.city.clone().unwrap_or_default(),
        province: l.province.clone(),
        hub_code: l.hub_code.clone(),
    }
}
