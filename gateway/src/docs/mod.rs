//! The API's documents: the OpenAPI 3.1 description of the whole API — the gateway's own
//! routes merged at run time with the document each service serves at `/openapi.json`
//! ([`catalog`]) — and the AsyncAPI description of the events ([`asyncapi`]).

pub mod asyncapi;
pub mod catalog;
pub mod edge;
pub mod merge;
pub mod ordered;

pub use asyncapi::{asyncapi, asyncapi_yaml};
pub use catalog::Catalog;
pub use ordered::Json;

use kuaidi_shared::openapi::{BearerByDefault, ProblemSchemas};
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
        crate::routes::admin::unlock::unlock_user,
        crate::routes::admin::clients::create_client,
        crate::routes::admin::clients::list_clients,
        crate::routes::admin::clients::get_client,
        crate::routes::admin::clients::revoke_client,
        crate::routes::admin::api_keys::create_api_key,
        crate::routes::admin::api_keys::list_api_keys,
        crate::routes::admin::api_keys::get_api_key,
        crate::routes::admin::api_keys::revoke_api_key,
        crate::routes::admin::audit_log::list_audit_log,
    ),
    modifiers(&Security, &ProblemSchemas, &BearerByDefault),
    tags(
        (name = "auth", description = "Logins, tokens and keys"),
        (name = "admin", description = "Users, clients, API keys and the audit log (admin only)"),
    )
)]
struct GatewayDoc;

/// The gateway's own part of the API's document.
pub fn gateway_openapi() -> OpenApiDoc {
    GatewayDoc::openapi()
}
