//! Event payloads: one versioned struct per event type, used by the producer and every consumer,
//! and rendered into `proto-docs/asyncapi.yaml`.
// NOTE: these structs are an external contract (consumers and webhooks depend on them): add
// optional fields freely, but a breaking change needs a new version (`...V2`).

use serde::de::DeserializeOwned;
use serde::Serialize;
use utoipa::ToSchema;

/// A typed event payload.
pub trait EventPayload: Serialize + DeserializeOwned + ToSchema {
    /// The event type and routing key, e.g. `shipment.created`.
    const TYPE: &'static str;
    const VERSION: u32;
    /// The service that emits it.
    const PRODUCER: &'static str;
    const SUMMARY: &'static str;
    /// Whether the producer may publish events of this type in batches (one message, a JSON
    /// array of envelopes, `application/cloudevents-batch+json`) as well as alone.
    const BATCHED: bool = false;
}

/// Everything needed to document one event type.
pub struct EventDoc {
    pub type_: &'static str,
    pub version: u32,
    pub producer: &'static str,
    pub summary: &'static str,
    pub batched: bool,
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
        batched: P::BATCHED,
        payload_name: P::name().into_owned(),
        schemas,
    }
}

/// Makes a payload of the file's producer (its `PRODUCER` constant) an event type, version 1:
/// `event!(Payload, "type", "summary")`, with `batched = true` for a type its producer may
/// publish in batches.
macro_rules! event {
    ($payload:ident, $type:literal, $summary:literal $(, batched = $batched:literal)?) => {
        impl $crate::events::catalogue::EventPayload for $payload {
            const TYPE: &'static str = $type;
            const VERSION: u32 = 1;
            const PRODUCER: &'static str = PRODUCER;
            const SUMMARY: &'static str = $summary;
            $(const BATCHED: bool = $batched;)?
        }
    };
}

mod analytics;
mod complaints;
mod customers;
mod gateway;
mod shipments;

pub use analytics::*;
pub use complaints::*;
pub use customers::*;
pub use gateway::*;
pub use shipments::*;

/// The whole catalogue, in SPEC §7 order.
pub fn catalogue() -> Vec<EventDoc> {
    vec![
        doc::<CustomerCreatedV1>(),
        doc::<CustomerUpdatedV1>(),
        doc::<CustomerTierChangedV1>(),
        doc::<CustomerStageChangedV1>(),
        doc::<CustomerOwnerChangedV1>(),
        doc::<CustomerMergedV1>(),
        doc::<CustomerMergeUndoneV1>(),
        doc::<CustomerErasedV1>(),
        doc::<CustomerChurnRiskDetectedV1>(),
        doc::<ShipmentCreatedV1>(),
        doc::<ShipmentStatusChangedV1>(),
        doc::<ShipmentDeliveredV1>(),
        doc::<ShipmentExceptionRaisedV1>(),
        doc::<ShipmentEtaChangedV1>(),
        doc::<NotificationRequestedV1>(),
        doc::<WebhookEndpointDisabledV1>(),
        doc::<ComplaintReceivedV1>(),
        doc::<ComplaintFirstRespondedV1>(),
        doc::<ComplaintAssignedV1>(),
        doc::<ComplaintStatusChangedV1>(),
        doc::<ComplaintEscalatedV1>(),
        doc::<ComplaintSlaWarningV1>(),
        doc::<ComplaintSlaBreachedV1>(),
        doc::<ComplaintClosedV1>(),
        doc::<ComplaintReopenedV1>(),
        doc::<SurveySubmittedV1>(),
        doc::<ClaimFiledV1>(),
        doc::<ClaimSettledV1>(),
        doc::<AnalyticsAlertRaisedV1>(),
        doc::<ClientRevokedV1>(),
        doc::<ApiKeyRevokedV1>(),
        doc::<UserSessionsEndedV1>(),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_catalogue_names_every_type_once_with_its_producer_prefix() {
        let docs = catalogue();
        let mut types: Vec<_> = docs.iter().map(|d| d.type_).collect();
        types.sort_unstable();
        types.dedup();
        assert_eq!(types.len(), docs.len(), "an event type is listed twice");
        assert_eq!(
            docs.len(),
            32,
            "SPEC §7 lists 28 event types, `customer.merge_undone` (§4: a merge can be undone) \
             makes 29; the gateway's revocations and ended sessions (§10) make 32"
        );
    }
}
