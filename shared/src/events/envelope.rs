//! The CloudEvents 1.0 structured-JSON envelope every Kuaidi event travels in, alone
//! (`application/cloudevents+json`) or, where one change produces many events of a type, in a
//! batch (`application/cloudevents-batch+json`: a JSON array of envelopes, one message).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::catalogue::EventPayload;
use crate::request::RequestContext;

/// The content type of a message carrying one event.
pub const CONTENT_TYPE: &str = "application/cloudevents+json";
/// The content type of a message carrying a batch of events of one type (CloudEvents JSON
/// batch format): a JSON array of envelopes.
pub const BATCH_CONTENT_TYPE: &str = "application/cloudevents-batch+json";

/// A CloudEvents 1.0 envelope (structured mode, JSON).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, ToSchema)]
pub struct CloudEvent {
    /// Always `"1.0"`.
    pub specversion: String,
    pub id: Uuid,
    /// `/kuaidi/<service>`.
    pub source: String,
    /// The event type, also the routing key, e.g. `shipment.created`.
    #[serde(rename = "type")]
    pub type_: String,
    pub time: DateTime<Utc>,
    /// The id of the resource the event is about.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    pub datacontenttype: String,
    /// `kuaidi:<type>:v<version>`.
    pub dataschema: String,
    /// W3C trace context of the request that caused the event.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub traceparent: Option<String>,
    pub data: serde_json::Value,
}

impl CloudEvent {
    /// Wraps a typed payload. `id` and `time` come from the caller so they can be tested.
    pub fn new<P: EventPayload>(
        service: &str,
        subject: impl Into<String>,
        payload: &P,
        ctx: &RequestContext,
        id: Uuid,
        time: DateTime<Utc>,
    ) -> Self {
        // A payload struct always serialises; Null would be caught by consumers' decode.
        let data = serde_json::to_value(payload).unwrap_or(serde_json::Value::Null);
        Self {
            id,
            subject: Some(subject.into()),
            data,
            ..Self::shell::<P>(service, ctx, time)
        }
    }

    /// [`CloudEvent::new`] with a new id, about the entity `subject`: how a service wraps the
    /// payloads it emits.
    pub fn about<P: EventPayload>(
        service: &str,
        subject: Uuid,
        payload: &P,
        ctx: &RequestContext,
        time: DateTime<Utc>,
    ) -> Self {
        Self::new(
            service,
            subject.to_string(),
            payload,
            ctx,
            crate::clock::new_id(),
            time,
        )
    }

    /// A `P` without its `id`, `subject` and `data`.
    fn shell<P: EventPayload>(service: &str, ctx: &RequestContext, time: DateTime<Utc>) -> Self {
        Self {
            specversion: "1.0".into(),
            id: Uuid::nil(),
            source: format!("/kuaidi/{service}"),
            type_: P::TYPE.into(),
            time,
            subject: None,
            datacontenttype: "application/json".into(),
            dataschema: format!("kuaidi:{}:v{}", P::TYPE, P::VERSION),
            traceparent: Some(ctx.traceparent.clone()),
            data: serde_json::Value::Null,
        }
    }

    /// The envelope every `P` of one set-based write shares — all but `id`, `subject` and
    /// `data`, exactly as [`CloudEvent::new`] writes them — for SQL that builds those three per
    /// row and adds them (`head || jsonb_build_object('id', …, 'subject', …, 'data', …)`).
    pub fn head<P: EventPayload>(
        service: &str,
        ctx: &RequestContext,
        time: DateTime<Utc>,
    ) -> serde_json::Value {
        let mut head =
            serde_json::to_value(Self::shell::<P>(service, ctx, time)).unwrap_or_default();
        if let Some(fields) = head.as_object_mut() {
            fields.remove("id");
            fields.remove("data");
        }
        head
    }

    /// The events of a message body: one envelope, or a batch (a JSON array of envelopes,
    /// possibly empty). The body alone tells which, whatever the message's content type says.
    pub fn from_message(body: &[u8]) -> serde_json::Result<Vec<CloudEvent>> {
        let first = body.iter().find(|b| !b.is_ascii_whitespace());
        if first == Some(&b'[') {
            serde_json::from_slice(body)
        } else {
            serde_json::from_slice(body).map(|event| vec![event])
        }
    }

    /// Decodes `data` as the payload type `P`, checking the type matches.
    pub fn decode<P: EventPayload>(&self) -> anyhow::Result<P> {
        anyhow::ensure!(
            self.type_ == P::TYPE,
            "event {} is a {}, not a {}",
            self.id,
            self.type_,
            P::TYPE
        );
        // From the value in place: no copy of the payload's tree.
        Ok(P::deserialize(&self.data)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::events::catalogue::CustomerErasedV1;

    fn event(n: u128) -> CloudEvent {
        let at = DateTime::parse_from_rfc3339("2026-12-02T08:00:00Z").map(|t| t.to_utc());
        let at = at.expect("a valid time");
        let payload = CustomerErasedV1 {
            customer_id: Uuid::from_u128(n),
            phone_hashes: vec![],
            email_hashes: vec![],
            erased_at: at,
        };
        CloudEvent::new(
            "customers",
            n.to_string(),
            &payload,
            &RequestContext::detached(),
            Uuid::from_u128(n),
            at,
        )
    }

    #[test]
    fn a_message_holds_one_event_or_a_batch_of_them() {
        let (a, b) = (event(1), event(2));
        let one = serde_json::to_vec(&a).expect("serialises");
        assert_eq!(
            CloudEvent::from_message(&one).expect("one"),
            vec![a.clone()]
        );
        let batch = serde_json::to_vec(&vec![a.clone(), b.clone()]).expect("serialises");
        let mut padded = b" \n".to_vec();
        padded.extend_from_slice(&batch);
        assert_eq!(
            CloudEvent::from_message(&padded).expect("a batch"),
            vec![a, b]
        );
        assert_eq!(CloudEvent::from_message(b"[]").expect("empty"), vec![]);
        assert!(CloudEvent::from_message(b"[1]").is_err());
        assert!(CloudEvent::from_message(b"{}").is_err());
    }
}
