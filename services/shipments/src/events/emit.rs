//! One constructor per event type the service emits. An [`Emitter`] stamps envelopes for one
//! shipment (or webhook), at one time, in one request's trace.

use chrono::{DateTime, Utc};
use kuaidi_shared::clock::new_id;
use kuaidi_shared::events::catalogue::{
    NotificationRequestedV1, PlaceV1, ShipmentCreatedV1, ShipmentDeliveredV1, ShipmentEtaChangedV1,
    ShipmentExceptionRaisedV1, ShipmentStatusChangedV1, WebhookEndpointDisabledV1,
};
use kuaidi_shared::events::{CloudEvent, EventPayload};
use kuaidi_shared::money::Money;
use kuaidi_shared::request::RequestContext;
use uuid::Uuid;

use crate::db::shipments::ShipmentRow;
use crate::db::webhooks::SubscriptionRow;
use crate::domain::notification::Notice;

/// Which shipment an event is about: the fields every `shipment.*` payload repeats.
#[derive(Debug, Clone)]
pub struct About {
    pub shipment_id: Uuid,
    pub tracking_number: String,
    pub merchant_id: Option<Uuid>,
    pub shipper_customer_id: Option<Uuid>,
}

/// A status move, as `shipment.status_changed` tells it.
#[derive(Debug, Clone)]
pub struct StatusChange {
    pub from: String,
    pub to: String,
    pub substatus: Option<String>,
    pub sequence: i64,
    pub occurred_at: DateTime<Utc>,
    pub location: Option<PlaceV1>,
}

/// Builds this service's envelopes at `now`, in the trace of `ctx`.
pub struct Emitter<'a> {
    pub ctx: &'a RequestContext,
    pub now: DateTime<Utc>,
}

impl Emitter<'_> {
    /// The envelope of `payload` about `subject` (the one place `CloudEvent::new` is called).
    pub fn envelope<P: EventPayload>(&self, subject: Uuid, payload: &P) -> CloudEvent {
        CloudEvent::about(crate::SERVICE, subject, payload, self.ctx, self.now)
    }

    /// `shipment.created` for a stored row and its places.
    pub fn created(&self, row: &ShipmentRow, origin: PlaceV1, destination: PlaceV1) -> CloudEvent {
        let money = |m: i64| Money::from_minor(m, &row.currency);
        self.envelope(
            row.id,
            &ShipmentCreatedV1 {
                shipment_id: row.id,
                tracking_number: row.tracking_number.clone(),
                merchant_id: row.merchant_id,
                shipper_customer_id: row.shipper_customer_id,
                service_level: row.service_level.clone(),
                origin,
                destination,
                weight_kg: row.weight_kg,
                freight: money(row.freight_minor),
                declared_value: row.declared_value_minor.map(money),
                cod_amount: row.cod_amount_minor.map(money),
                promised_at: Some(row.promised_at),
                created_at: row.created_at,
                sequence: row.last_sequence,
                recipient_phone_hash: Some(row.recipient_phone_index.clone()),
            },
        )
    }

    /// `shipment.status_changed`.
    pub fn status_changed(&self, s: &About, change: StatusChange) -> CloudEvent {
        self.envelope(
            s.shipment_id,
            &ShipmentStatusChangedV1 {
                shipment_id: s.shipment_id,
                tracking_number: s.tracking_number.clone(),
                merchant_id: s.merchant_id,
                shipper_customer_id: s.shipper_customer_id,
                from: change.from,
                to: change.to,
                substatus: change.substatus,
                sequence: change.sequence,
                occurred_at: change.occurred_at,
                location: change.location,
            },
        )
    }

    /// `shipment.delivered`: on time when delivered by the promised time; with the earliest
    /// in-transit scan the shipment had, from which its transit time counts.
    pub fn delivered(
        &self,
        s: &About,
        promised_at: DateTime<Utc>,
        delivered_at: DateTime<Utc>,
        first_in_transit_at: Option<DateTime<Utc>>,
        change: &StatusChange,
    ) -> CloudEvent {
        self.envelope(
            s.shipment_id,
            &ShipmentDeliveredV1 {
                shipment_id: s.shipment_id,
                tracking_number: s.tracking_number.clone(),
                merchant_id: s.merchant_id,
                shipper_customer_id: s.shipper_customer_id,
                substatus: change.substatus.clone(),
                promised_at,
                delivered_at,
                on_time: delivered_at <= promised_at,
                sequence: change.sequence,
                first_in_transit_at,
            },
        )
    }

    /// `shipment.exception_raised` of an exception scan (`change`'s substatus, time, place and
    /// sequence), whether or not it moved the status.
    pub fn exception_raised(&self, s: &About, change: &StatusChange) -> CloudEvent {
        self.envelope(
            s.shipment_id,
            &ShipmentExceptionRaisedV1 {
                shipment_id: s.shipment_id,
                tracking_number: s.tracking_number.clone(),
                merchant_id: s.merchant_id,
                shipper_customer_id: s.shipper_customer_id,
                substatus: change.substatus.clone(),
                occurred_at: change.occurred_at,
                location: change.location.clone(),
                sequence: change.sequence,
            },
        )
    }

    /// `shipment.eta_changed` from `old` to `new`.
    pub fn eta_changed(
        &self,
        s: &About,
        old: Option<DateTime<Utc>>,
        new: DateTime<Utc>,
        sequence: i64,
    ) -> CloudEvent {
        self.envelope(
            s.shipment_id,
            &ShipmentEtaChangedV1 {
                shipment_id: s.shipment_id,
                tracking_number: s.tracking_number.clone(),
                merchant_id: s.merchant_id,
                shipper_customer_id: s.shipper_customer_id,
                old_estimated_delivery_at: old,
                new_estimated_delivery_at: new,
                sequence,
            },
        )
    }

    /// `notification.requested` (SPEC §5 "Proactive notifications") for one addressee — who,
    /// their file, channel and phone index from `to` ([`crate::domain::notification`]) — with
    /// the template's variables; `tracking_number` and `status` are always among them.
    pub fn notification(
        &self,
        s: &About,
        to: &Notice,
        template: &str,
        status: &str,
        extra: serde_json::Map<String, serde_json::Value>,
    ) -> CloudEvent {
        let mut variables = serde_json::Map::new();
        variables.insert("tracking_number".into(), s.tracking_number.clone().into());
        variables.insert("status".into(), status.into());
        variables.extend(extra);
        self.envelope(
            s.shipment_id,
            &NotificationRequestedV1 {
                notification_id: new_id(),
                channel: to.channel.as_str().into(),
                template_id: template.into(),
                variables,
                shipment_id: s.shipment_id,
                tracking_number: s.tracking_number.clone(),
                merchant_id: s.merchant_id,
                shipper_customer_id: s.shipper_customer_id,
                addressee: Some(to.addressee.as_str().into()),
                customer_id: to.customer_id,
                phone_hash: to.phone_hash.clone(),
            },
        )
    }

    /// `webhook.endpoint_disabled` for an endpoint failing since `failing_since`.
    pub fn endpoint_disabled(
        &self,
        s: &SubscriptionRow,
        failing_since: DateTime<Utc>,
    ) -> CloudEvent {
        self.envelope(
            s.id,
            &WebhookEndpointDisabledV1 {
                webhook_id: s.id,
                url: s.url.clone(),
                merchant_id: s.merchant_id,
                owner_sub: s.owner_sub.clone(),
                failing_since,
                disabled_at: self.now,
            },
        )
    }
}
