//! The AsyncAPI 3.0 description of every event (SPEC §7), rendered from the shared catalogue.

use kuaidi_shared::events::catalogue::catalogue;
use kuaidi_shared::events::envelope::{BATCH_CONTENT_TYPE, CONTENT_TYPE};
use kuaidi_shared::events::outbox::BATCH_EVENTS;
use serde_json::{json, Map, Value};

/// The AsyncAPI 3.0 document of every event (SPEC §7), as a JSON value.
pub fn asyncapi() -> Value {
    let mut channels = Map::new();
    let mut operations = Map::new();
    let mut messages = Map::new();
    let mut schemas = Map::new();
    for e in catalogue() {
        let key = e.type_.replace('.', "_");
        for (name, schema) in &e.schemas {
            schemas.insert(
                name.clone(),
                serde_json::to_value(schema).unwrap_or(Value::Null),
            );
        }
        let envelope = json!({
            "allOf": [
                {"$ref": "#/components/schemas/CloudEventAttributes"},
                {"type": "object", "required": ["data"], "properties": {
                    "type": {"const": e.type_},
                    "source": {"const": format!("/kuaidi/{}", e.producer)},
                    "dataschema": {"const": format!("kuaidi:{}:v{}", e.type_, e.version)},
                    "data": {"$ref": format!("#/components/schemas/{}", e.payload_name)}
                }}
            ]
        });
        let mut channel_messages = Map::new();
        channel_messages.insert(
            key.clone(),
            json!({"$ref": format!("#/components/messages/{key}")}),
        );
        if e.batched {
            let batch = format!("{key}_batch");
            messages.insert(
                batch.clone(),
                json!({
                    "name": format!("{} (batch)", e.type_),
                    "title": format!("{} (batch)", e.type_),
                    "summary": format!("Up to {BATCH_EVENTS} `{}` events in one message, each handled and deduplicated by its own id as if it had come alone.", e.type_),
                    "description": "The AMQP `message_id` is the batch's own id (no element's); each element carries its own `id`, which consumers record.",
                    "contentType": BATCH_CONTENT_TYPE,
                    "payload": {"type": "array", "maxItems": BATCH_EVENTS, "items": envelope.clone()}
                }),
            );
            channel_messages.insert(
                batch.clone(),
                json!({"$ref": format!("#/components/messages/{batch}")}),
            );
        }
        messages.insert(
            key.clone(),
            json!({
                "name": e.type_,
                "title": e.type_,
                "summary": e.summary,
                "description": "Structured mode: the CloudEvents attributes and `data` are the JSON body (no AMQP headers). AMQP properties: `message_id` = the event's `id`, `content_type` as below, `delivery_mode` 2 (persistent).",
                "contentType": CONTENT_TYPE,
                "payload": envelope,
                "bindings": {"amqp": {"messageType": e.type_, "bindingVersion": "0.3.0"}}
            }),
        );
        channels.insert(
            key.clone(),
            json!({
                "address": e.type_,
                "description": format!("Routing key `{}` on the topic exchange `kuaidi.events`.", e.type_),
                "messages": channel_messages,
                "bindings": {"amqp": {"is": "routingKey", "exchange": {"name": "kuaidi.events", "type": "topic", "durable": true, "autoDelete": false}}}
            }),
        );
        operations.insert(
            format!("publish_{key}"),
            json!({
                "action": "send",
                "summary": format!("{} publishes {}", e.producer, e.type_),
                "channel": {"$ref": format!("#/channels/{key}")},
                "x-producer": e.producer,
            }),
        );
    }
    schemas.insert(
        "CloudEventAttributes".into(),
        json!({
            "type": "object",
            "description": "CloudEvents 1.0 structured-mode envelope attributes.",
            "required": ["specversion", "id", "source", "type", "time", "subject", "datacontenttype", "dataschema", "traceparent"],
            "properties": {
                "specversion": {"const": "1.0"},
                "id": {"type": "string", "format": "uuid", "description": "Also the AMQP message_id; consumers dedupe on it."},
                "source": {"type": "string", "examples": ["/kuaidi/shipments"]},
                "type": {"type": "string"},
                "time": {"type": "string", "format": "date-time"},
                "subject": {"type": "string", "description": "Id of the resource the event is about."},
                "datacontenttype": {"const": "application/json"},
                "dataschema": {"type": "string", "examples": ["kuaidi:shipment.created:v1"]},
                "traceparent": {"type": "string", "description": "W3C trace context of the causing request."}
            }
        }),
    );
    json!({
        "asyncapi": "3.0.0",
        "info": {
            "title": "Kuaidi events",
            "version": "1.0.0",
            "description": "Events between Kuaidi services (SPEC §7): one durable topic exchange `kuaidi.events`, routing key = event type; each consuming service has a durable quorum queue `<service>.events`, a retry queue and a dead-letter queue `<service>.events.dlq` behind the exchange `kuaidi.events.dlx`. Delivery is at-least-once (transactional outbox, publisher confirms); consumers are idempotent by event id. Where one change produces many events of a type (a classification run), the producer may publish them as batches: one message, content type `application/cloudevents-batch+json`, a JSON array of envelopes of the channel's type (the `…_batch` messages); each event in it is handled as if it had come alone."
        },
        "defaultContentType": CONTENT_TYPE,
        "servers": {"local": {"host": "127.0.0.1:5672", "protocol": "amqp", "protocolVersion": "0.9.1"}},
        "channels": channels,
        "operations": operations,
        "components": {"messages": messages, "schemas": schemas}
    })
}

/// `proto-docs/asyncapi.yaml` as committed.
pub fn asyncapi_yaml() -> String {
    yaml_serde::to_string(&asyncapi()).unwrap_or_default()
}
