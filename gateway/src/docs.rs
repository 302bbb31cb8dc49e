//! The API's documents: the OpenAPI 3.1 description of the whole API (the gateway's own routes
//! merged with each service's utoipa document) and the AsyncAPI description of the events.

use kuaidi_shared::events::catalogue::catalogue;
use kuaidi_shared::openapi::ProblemSchemas;
use serde_json::{json, Map, Value};
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::OpenApi as OpenApiDoc;
use utoipa::{Modify, OpenApi};

struct Security;

impl Modify for Security {
    fn modify(&self, openapi: &mut OpenApiDoc) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .description(Some(
                        "Access token from /api/v1/auth/login or /api/v1/auth/token",
                    ))
                    .build(),
            ),
        );
        components.add_security_scheme(
            "api_key",
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::with_description(
                "X-Api-Key",
                "Merchant API key (shown once at creation)",
            ))),
        );
    }
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Kuaidi API",
        version = "1.0.0",
        description = "Customer relationship suite for express and logistics companies: customers, \
shipments and tracking, complaints, analytics. All errors are RFC 9457 problem+json; lists use \
cursor pagination; money is {amount, currency}.",
    ),
    servers((url = "/", description = "This gateway")),
    paths(
        crate::routes::auth::login::login,
        crate::routes::auth::refresh::refresh,
        crate::routes::auth::refresh::logout,
        crate::routes::auth::token::token,
        crate::routes::auth::customer_token::customer_token,
        crate::routes::jwks::jwks,
        crate::routes::admin::users::create_user,
        crate::routes::admin::users::list_users,
        crate::routes::admin::users::get_user,
        crate::routes::admin::users::update_user,
        crate::routes::admin::users::delete_user,
        crate::routes::admin::clients::create_client,
        crate::routes::admin::clients::list_clients,
        crate::routes::admin::clients::revoke_client,
        crate::routes::admin::api_keys::create_api_key,
        crate::routes::admin::api_keys::list_api_keys,
        crate::routes::admin::api_keys::revoke_api_key,
        crate::routes::admin::audit_log::list_audit_log,
    ),
    modifiers(&Security, &ProblemSchemas),
    tags(
        (name = "auth", description = "Logins, tokens and keys"),
        (name = "admin", description = "Users, clients, API keys and the audit log (admin only)"),
    )
)]
struct GatewayDoc;

/// The OpenAPI document of the whole API.
pub fn openapi() -> OpenApiDoc {
    let mut doc = GatewayDoc::openapi();
    for service in [
        kuaidi_customers::openapi(),
        kuaidi_shipments::openapi(),
        kuaidi_complaints::openapi(),
        kuaidi_analytics::openapi(),
    ] {
        doc.merge(service);
    }
    accept_api_keys(&mut doc);
    doc
}

/// Wherever a bearer token is accepted through the gateway, a merchant API key is too (the
/// gateway exchanges it for a token), except on the gateway's own admin routes and the app's
/// customer-token exchange.
fn accept_api_keys(doc: &mut OpenApiDoc) {
    use utoipa::openapi::security::SecurityRequirement;
    for (path, item) in doc.paths.paths.iter_mut() {
        if path.starts_with("/api/v1/users")
            || path.starts_with("/api/v1/clients")
            || path.starts_with("/api/v1/api-keys")
            || path.starts_with("/api/v1/audit-log")
            || path.starts_with("/api/v1/auth/customer-token")
        {
            continue;
        }
        for op in [
            &mut item.get,
            &mut item.post,
            &mut item.put,
            &mut item.patch,
            &mut item.delete,
        ]
        .into_iter()
        .flatten()
        {
            if let Some(security) = op.security.as_mut() {
                if !security.is_empty() {
                    security.push(SecurityRequirement::new("api_key", Vec::<String>::new()));
                }
            }
        }
    }
}

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
        messages.insert(
            key.clone(),
            json!({
                "name": e.type_,
                "title": e.type_,
                "summary": e.summary,
                "contentType": "application/cloudevents+json",
                "headers": {"$ref": "#/components/schemas/CloudEventAttributes"},
                "payload": {
                    "allOf": [
                        {"$ref": "#/components/schemas/CloudEventAttributes"},
                        {"type": "object", "required": ["data"], "properties": {
                            "type": {"const": e.type_},
                            "source": {"const": format!("/kuaidi/{}", e.producer)},
                            "dataschema": {"const": format!("kuaidi:{}:v{}", e.type_, e.version)},
                            "data": {"$ref": format!("#/components/schemas/{}", e.payload_name)}
                        }}
                    ]
                }
            }),
        );
        channels.insert(
            key.clone(),
            json!({
                "address": e.type_,
                "description": format!("Routing key `{}` on the topic exchange `kuaidi.events`.", e.type_),
                "messages": {key.clone(): {"$ref": format!("#/components/messages/{key}")}},
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
            "required": ["specversion", "id", "source", "type", "time", "datacontenttype", "dataschema"],
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
            "description": "Events between Kuaidi services (SPEC §7): one durable topic exchange `kuaidi.events`, routing key = event type; each consuming service has a durable quorum queue `<service>.events`, a retry queue and a dead-letter queue `<service>.events.dlq` behind the exchange `kuaidi.events.dlx`. Delivery is at-least-once (transactional outbox, publisher confirms); consumers are idempotent by event id."
        },
        "defaultContentType": "application/cloudevents+json",
        "servers": {"local": {"host": "127.0.0.1:5672", "protocol": "amqp", "protocolVersion": "0.9.1"}},
        "channels": channels,
        "operations": operations,
        "components": {"messages": messages, "schemas": schemas}
    })
}

/// `proto-docs/openapi.json` as committed.
pub fn openapi_json() -> String {
    serde_json::to_string_pretty(&openapi()).unwrap_or_default() + "\n"
}

/// `proto-docs/asyncapi.yaml` as committed.
pub fn asyncapi_yaml() -> String {
    yaml_serde::to_string(&asyncapi()).unwrap_or_default()
}
