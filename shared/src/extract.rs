//! Body and query extractors whose refusals name the field: `Json<T>` and `Query<T>` stand in
//! for actix's, and a value of the wrong type or shape is a `422` whose `errors[].field` is the
//! field's path (`recipient.phone`, `events[3].occurred_at`, `owner_id`), found by
//! `serde_path_to_error` — actix's own extractors only have serde's message, which names the
//! value (`invalid type: integer `5``), not where it stood.
//!
//! `Json` reads the body as actix's `web::Json<Value>` (so the app's `JsonConfig` still sets the
//! size limit, the content type and the answer to malformed JSON), then builds `T` from it.

use actix_web::dev::Payload;
use actix_web::{web, FromRequest, HttpRequest};
use futures_util::future::LocalBoxFuture;
use serde::de::DeserializeOwned;
use std::ops::{Deref, DerefMut};

use crate::problem::{ApiError, FieldError};

/// A JSON body of type `T`; a value of the wrong type names its field (see the module).
#[derive(Debug)]
pub struct Json<T>(pub T);

/// Query parameters of type `T`; a value that does not parse names its parameter.
#[derive(Debug)]
pub struct Query<T>(pub T);

macro_rules! wrapper {
    ($name:ident) => {
        impl<T> $name<T> {
            pub fn into_inner(self) -> T {
                self.0
            }
        }

        impl<T> Deref for $name<T> {
            type Target = T;
            fn deref(&self) -> &T {
                &self.0
            }
        }

        impl<T> DerefMut for $name<T> {
            fn deref_mut(&mut self) -> &mut T {
                &mut self.0
            }
        }
    };
}
wrapper!(Json);
wrapper!(Query);

impl<T: DeserializeOwned + 'static> FromRequest for Json<T> {
    type Error = actix_web::Error;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let value = web::Json::<serde_json::Value>::from_request(req, payload);
        Box::pin(async move {
            let value = value.await?.into_inner();
            serde_path_to_error::deserialize(value)
                .map(Json)
                .map_err(|e| refused(e, "body").into())
        })
    }
}

impl<T: DeserializeOwned> FromRequest for Query<T> {
    type Error = actix_web::Error;
    type Future = std::future::Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let pairs = form_urlencoded::parse(req.query_string().as_bytes());
        let parsed = serde_path_to_error::deserialize(serde_urlencoded::Deserializer::new(pairs))
            .map(Query)
            .map_err(|e| refused(e, "query").into());
        std::future::ready(parsed)
    }
}

/// The `422` for a value that did not fit: the field where it failed (`whole` when it was the
/// document itself, e.g. an array where an object belongs, or serde names no path), with
/// serde's message. A missing or unknown field is named by serde's message itself.
fn refused<E: std::fmt::Display>(e: serde_path_to_error::Error<E>, whole: &str) -> ApiError {
    let message = e.inner().to_string();
    let path = e.path().to_string();
    let field = match path.as_str() {
        "." | "" => named_in(&message).unwrap_or_else(|| whole.to_owned()),
        // A list where an object belongs: serde reads a struct from a list too.
        p if p.starts_with('[') => whole.to_owned(),
        // A missing (or unknown) field is reported at the object that lacks (or has) it.
        p => match named_in(&message) {
            Some(name) if !p.ends_with(&name) => format!("{p}.{name}"),
            _ => p.to_owned(),
        },
    };
    ApiError::Validation(vec![FieldError::new(field, message)])
}

/// The field serde names in "missing field `x`" / "unknown field `x`".
fn named_in(message: &str) -> Option<String> {
    ["missing field `", "unknown field `"]
        .iter()
        .find_map(|prefix| message.strip_prefix(prefix))
        .and_then(|rest| rest.split('`').next())
        .map(str::to_owned)
}

/// Turns actix's own extractor errors (bad JSON, bad query, bad path) into problem+json
/// 400/413/415/422 (the app's `JsonConfig`, `QueryConfig` and `PathConfig` answer with these).
pub fn json_error_handler(
    err: actix_web::error::JsonPayloadError,
    _req: &HttpRequest,
) -> actix_web::Error {
    use actix_web::error::JsonPayloadError as E;
    let api = match &err {
        E::ContentType => {
            ApiError::UnsupportedMediaType("expected content-type application/json".into())
        }
        E::Deserialize(de) if de.is_data() => {
            let message = de.to_string();
            let field = named_in(&message).unwrap_or_else(|| "body".to_owned());
            ApiError::Validation(vec![FieldError::new(field, message)])
        }
        E::OverflowKnownLength { length, limit } => ApiError::PayloadTooLarge(format!(
            "a body of {length} bytes; this resource takes at most {limit}"
        )),
        E::Overflow { limit } => ApiError::PayloadTooLarge(format!(
            "the body is larger than this resource takes ({limit} bytes)"
        )),
        other => ApiError::BadRequest(format!("invalid JSON body: {other}")),
    };
    api.into()
}

/// Query-string errors as problem+json.
pub fn query_error_handler(
    err: actix_web::error::QueryPayloadError,
    _req: &HttpRequest,
) -> actix_web::Error {
    ApiError::Validation(vec![FieldError::new("query", err.to_string())]).into()
}

/// Path-parameter errors as problem+json.
pub fn path_error_handler(
    err: actix_web::error::PathError,
    _req: &HttpRequest,
) -> actix_web::Error {
    ApiError::Validation(vec![FieldError::new("path", err.to_string())]).into()
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::test::TestRequest;
    use serde::Deserialize;
    use uuid::Uuid;

    #[derive(Debug, Deserialize)]
    #[allow(dead_code)]
    struct Address {
        city: String,
        phone: String,
    }

    #[derive(Debug, Deserialize)]
    #[allow(dead_code)]
    struct Body {
        name: String,
        owner_id: Option<Uuid>,
        recipient: Option<Address>,
        events: Option<Vec<Address>>,
    }

    async fn body(json: serde_json::Value) -> Result<Json<Body>, FieldError> {
        let (req, mut payload) = TestRequest::post().set_json(json).to_http_parts();
        Json::<Body>::from_request(&req, &mut payload)
            .await
            .map_err(|e| {
                let api = e.as_error::<ApiError>().expect("an ApiError");
                match api {
                    ApiError::Validation(errors) => errors[0].clone(),
                    other => panic!("not a validation error: {other:?}"),
                }
            })
    }

    #[actix_web::test]
    async fn a_wrong_type_names_the_field_not_the_value() {
        let e = body(serde_json::json!({"name": 123}))
            .await
            .expect_err("refused");
        assert_eq!(e.field, "name");
        assert!(e.message.contains("expected a string"), "{}", e.message);
        let e = body(serde_json::json!({"name": "x", "owner_id": "n"}))
            .await
            .expect_err("refused");
        assert_eq!(e.field, "owner_id");
    }

    #[actix_web::test]
    async fn nested_and_listed_fields_are_named_by_their_path() {
        let e = body(serde_json::json!({"name": "x", "recipient": {"city": "c", "phone": 5}}))
            .await
            .expect_err("refused");
        assert_eq!(e.field, "recipient.phone");
        let e = body(serde_json::json!({"name": "x", "events": [
            {"city": "a", "phone": "1"}, {"city": "b"}]}))
        .await
        .expect_err("refused");
        assert_eq!(e.field, "events[1].phone");
    }

    #[actix_web::test]
    async fn a_missing_field_or_a_body_of_the_wrong_shape() {
        let e = body(serde_json::json!({})).await.expect_err("refused");
        assert_eq!(e.field, "name");
        let e = body(serde_json::json!([1, 2])).await.expect_err("refused");
        assert_eq!(e.field, "body");
        let ok = body(serde_json::json!({"name": "x"})).await.expect("fits");
        assert_eq!(ok.name, "x");
    }

    #[derive(Debug, Deserialize)]
    #[allow(dead_code)]
    struct Filters {
        owner_id: Option<Uuid>,
        limit: Option<u32>,
    }

    #[test]
    fn a_query_parameter_that_does_not_parse_is_named() {
        let query = |qs: &str| {
            let req = TestRequest::get()
                .uri(&format!("/x?{qs}"))
                .to_http_request();
            Query::<Filters>::from_request(&req, &mut Payload::None).into_inner()
        };
        let err = query("owner_id=x").expect_err("refused");
        let Some(ApiError::Validation(errors)) = err.as_error::<ApiError>() else {
            panic!("not a validation error");
        };
        assert_eq!(errors[0].field, "owner_id");
        assert_eq!(query("limit=20").expect("parses").limit, Some(20));
    }
}
