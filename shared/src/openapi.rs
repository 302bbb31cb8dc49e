//! OpenAPI plumbing every service shares: the documented problem responses (so a handler's
//! `#[utoipa::path]` names `NoValidToken` instead of repeating a whole problem+json tuple), the
//! schemas they refer to, and the document a service serves at `GET /openapi.json` (the
//! gateway merges those at run time).
//!
//! ```ignore
//! kuaidi_shared::problem_responses! {
//!     /// 404 of the webhook routes.
//!     pub NoSuchWebhook = 404, "No such subscription for this caller";
//! }
//! #[utoipa::path(get, path = "/api/v1/webhooks/{id}", responses(
//!     (status = 200, body = Webhook), NoValidToken, NoSuchWebhook))]
//! ```

use std::sync::Arc;

use actix_web::{web, HttpResponse};
use utoipa::openapi::content::ContentBuilder;
use utoipa::openapi::path::{Operation, PathItem};
use utoipa::openapi::response::{Response, ResponseBuilder};
use utoipa::openapi::security::SecurityRequirement;
use utoipa::openapi::{OpenApi, Ref, RefOr};
use utoipa::{Modify, PartialSchema, ToSchema};

use crate::problem::{FieldError, Problem, PROBLEM_JSON};

#[doc(hidden)]
pub use utoipa as __utoipa;

/// A problem+json response with this description (empty: none), as utoipa documents
/// `(status = .., description = .., body = Problem, content_type = "application/problem+json")`.
pub fn problem_response(description: &str) -> RefOr<Response> {
    let content = ContentBuilder::new()
        .schema(Some(Ref::from_schema_name(Problem::name())))
        .build();
    RefOr::T(
        ResponseBuilder::new()
            .description(description)
            .content(PROBLEM_JSON, content)
            .build(),
    )
}

/// Declares documented problem responses: unit structs implementing `utoipa::IntoResponses`,
/// named in `responses(...)` of `#[utoipa::path]` beside the success tuples.
#[macro_export]
macro_rules! problem_responses {
    ($($(#[$meta:meta])* $vis:vis $name:ident = $status:literal, $description:literal;)*) => {$(
        $(#[$meta])*
        $vis struct $name;

        impl $crate::openapi::__utoipa::IntoResponses for $name {
            fn responses() -> ::std::collections::BTreeMap<
                String,
                $crate::openapi::__utoipa::openapi::RefOr<
                    $crate::openapi::__utoipa::openapi::response::Response,
                >,
            > {
                [(
                    $status.to_string(),
                    $crate::openapi::problem_response($description),
                )]
                .into()
            }
        }
    )*};
}

problem_responses! {
    /// `401`: the bearer token is missing, invalid or expired.
    pub NoValidToken = 401, "No valid token";
    /// `403`: the caller's role may not (the gateway's admin routes).
    pub Forbidden = 403, "The caller's role may not do this";
    /// `404`: no such resource (or another tenant's).
    pub NotFound = 404, "Not found";
    /// `422`: the body has invalid fields (listed in `errors`).
    pub InvalidFields = 422, "Invalid fields";
    /// `422`: invalid fields or an unprocessable request.
    pub Unprocessable = 422, "Invalid fields or a request that cannot be processed";
}

/// `304` of a conditional single-resource GET (SPEC §2: `If-None-Match` naming the current
/// `ETag`): no body.
pub struct NotModified;

impl utoipa::IntoResponses for NotModified {
    fn responses() -> std::collections::BTreeMap<String, RefOr<Response>> {
        let described = ResponseBuilder::new()
            .description("Not modified since the `If-None-Match` ETag")
            .build();
        [("304".to_owned(), RefOr::T(described))].into()
    }
}

/// The schema of a string that must be one of `values`.
pub fn string_enum<'a>(
    values: impl IntoIterator<Item = &'a str>,
) -> RefOr<utoipa::openapi::schema::Schema> {
    use utoipa::openapi::schema::{ObjectBuilder, Type};
    ObjectBuilder::new()
        .schema_type(Type::String)
        .enum_values(Some(values))
        .into()
}

/// Declares a documentation-only schema: a string enum of the names `$values` yields, for
/// `#[schema(value_type = Name)]` on a `String` field that the code checks against the same
/// list — so the document and the check cannot drift apart.
#[macro_export]
macro_rules! string_enum_schema {
    ($(#[$meta:meta])* $vis:vis $name:ident = $values:expr;) => {
        $(#[$meta])*
        $vis struct $name;

        impl $crate::openapi::__utoipa::PartialSchema for $name {
            fn schema() -> $crate::openapi::__utoipa::openapi::RefOr<
                $crate::openapi::__utoipa::openapi::schema::Schema,
            > {
                $crate::openapi::string_enum($values)
            }
        }

        impl $crate::openapi::__utoipa::ToSchema for $name {}
    };
}

string_enum_schema! {
    /// An OAuth2 scope: the name of a capability (`Capability::scope`).
    pub Scope = crate::capabilities::Capability::ALL.map(|c| c.scope());
}

/// Adds the schemas the problem responses refer to (`Problem`, `FieldError`) to a document:
/// `modifiers(&ProblemSchemas)` in `#[openapi(...)]`.
pub struct ProblemSchemas;

impl Modify for ProblemSchemas {
    fn modify(&self, openapi: &mut OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        for (name, schema) in [
            (Problem::name(), Problem::schema()),
            (FieldError::name(), FieldError::schema()),
        ] {
            components
                .schemas
                .entry(name.into_owned())
                .or_insert(schema);
        }
    }
}

/// Gives every operation that names no `security` the bearer requirement, so a handler's
/// `#[utoipa::path]` says only when it differs (`security(())`: public): `modifiers(&BearerByDefault)`
/// in each process's `#[openapi(...)]`.
pub struct BearerByDefault;

impl Modify for BearerByDefault {
    fn modify(&self, openapi: &mut OpenApi) {
        let bearer = || vec![SecurityRequirement::new::<_, _, &str>("bearer", [])];
        for item in openapi.paths.paths.values_mut() {
            for op in operations(item) {
                op.security.get_or_insert_with(bearer);
            }
        }
    }
}

fn operations(item: &mut PathItem) -> impl Iterator<Item = &mut Operation> {
    [
        &mut item.get,
        &mut item.put,
        &mut item.post,
        &mut item.delete,
        &mut item.options,
        &mut item.head,
        &mut item.patch,
        &mut item.trace,
    ]
    .into_iter()
    .flatten()
}

/// A service's own document, served at `GET /openapi.json` (the gateway merges them). Kept as
/// the text utoipa writes (members in its order), never re-sorted through a `Value`; and the
/// methods of each of its paths, which answer a wrong method's `405` (`crate::methods`).
#[derive(Clone)]
pub struct Document(Arc<Vec<u8>>, web::Data<crate::methods::Allowed>);

impl Document {
    pub fn new(mut doc: OpenApi) -> Self {
        ProblemSchemas.modify(&mut doc);
        let allowed = web::Data::new(crate::methods::Allowed::of(&doc));
        Self(
            Arc::new(serde_json::to_vec(&doc).unwrap_or_default()),
            allowed,
        )
    }

    /// Registers `GET /openapi.json`, and the documented methods for the app's `405`s.
    pub fn register(&self, cfg: &mut web::ServiceConfig) {
        let doc = self.0.clone();
        cfg.app_data(self.1.clone());
        cfg.route(
            "/openapi.json",
            web::get().to(move || {
                let doc = doc.clone();
                async move {
                    HttpResponse::Ok()
                        .content_type("application/json")
                        .body(doc.as_ref().clone())
                }
            }),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use utoipa::IntoResponses;

    #[derive(utoipa::OpenApi)]
    #[openapi(paths(handler))]
    struct Doc;

    #[utoipa::path(get, path = "/x", responses(
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "Not found", body = Problem, content_type = "application/problem+json"),
    ))]
    #[allow(dead_code)]
    async fn handler() {}

    #[test]
    fn a_named_problem_response_documents_exactly_what_the_tuple_did() {
        let doc = serde_json::to_value(<Doc as utoipa::OpenApi>::openapi()).expect("json");
        let responses = &doc["paths"]["/x"]["get"]["responses"];
        let named = |r: std::collections::BTreeMap<String, RefOr<Response>>| {
            serde_json::to_value(r).expect("json")
        };
        assert_eq!(
            named(NoValidToken::responses())["401"],
            responses["401"],
            "same JSON as the tuple"
        );
        assert_eq!(named(NotFound::responses())["404"], responses["404"]);
    }
}
