//! The CloudEvents 1.0 structured-JSON envelope every Kuaidi event travels in.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::catalogue::EventPayload;
use crate::request::RequestContext;

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

    /// Decodes `data` as the payload type `P`, checking the type matches.
    pub fn decode<P: EventPayload>(&self) -> anyhow::Result<P> {
        anyhow::ensure!(
            self.type_ == P::TYPE,
            "event {} is a {}, not a {}",
            self.id,
            self.type_,
            P::TYPE
        );
        Ok(serde_json::from_value(self.data.clone())?)
    }
}
