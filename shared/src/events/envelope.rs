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
        Self {
            specversion: "1.0".into(),
            id,
            source: format!("/kuaidi/{service}"),
            type_: P::TYPE.into(),
            time,
            subject: Some(subject.into()),
            datacontenttype: "application/json".into(),
            dataschema: format!("kuaidi:{}:v{}", P::TYPE, P::VERSION),
            traceparent: Some(ctx.traceparent.clone()),
            // A payload struct always serialises; Null would be caught by consumers' decode.
            data: serde_json::to_value(payload).unwrap_or(serde_json::Value::Null),
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
        Ok(serde_json::from_value(self.data.clone())?)
    }
}
