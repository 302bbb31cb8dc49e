//! Body and query extractors whose refusals name the field: `Json<T>` and `Query<T>` stand in
//! for actix's, and a value of the wrong type or shape is a `422` whose `errors[].field` is the
//! field's path (`recipient.phone`, `events[3].occurred_at`, `owner_id`), found by
//! `serde_path_to_error` — actix's own extractors only have serde's message, which names the
//! value (`invalid type: integer `5``), not where it stood.
//!
//! `Json` reads the body as actix's `web::Json<Value>` (so the app's `JsonConfig` still sets the
//! size limit, the content type and the answer to malformed JSON), then builds `T` from it.
//! serde stops at the first error; when that is a missing field, `Json` names every missing
//! field at once (`missing.rs`), and the first other error after them (a wrong type).

use actix_web::dev::Payload;
use actix_web::{web, FromRequest, HttpRequest};
use futures_util::future::LocalBoxFuture;
use serde::de::DeserializeOwned;
use serde_path_to_error::Path;
use std::ops::{Deref, DerefMut};

use crate::problem::{ApiError, FieldError};

mod missing;

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
            let mut value = value.await?.into_inner();
            match serde_path_to_error::deserialize(&value) {
                Ok(body) => Ok(Json(body)),
                Err(e) if missing_in(e.inner()).is_some() => {
                    let (found, _) = missing::every_missing::<T>(&mut value, e);
                    Err(ApiError::Validation(found).into())
                }
                Err(e) => Err(refused(e, "body").into()),
            }
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
    ApiError::Validation(vec![FieldError::new(
        field_of(e.path(), &message, whole),
        message,
    )])
}

/// The field an error of serde at `path` is about, as [`refused`] names it.
fn field_of(path: &Path, message: &str, whole: &str) -> String {
    let path = path.to_string();
    match path.as_str() {
        "." | "" => named_in(message).unwrap_or_else(|| whole.to_owned()),
        // A list where an object belongs: serde reads a struct from a list too.
        p if p.starts_with('[') => whole.to_owned(),
        // A missing (or unknown) field is reported at the object that lacks (or has) it.
        p => match named_in(message) {
            Some(name) if !p.ends_with(&name) => format!("{p}.{name}"),
            _ => p.to_owned(),
        },
    }
}

/// The field serde names in "missing field `x`" / "unknown field `x`".
fn named_in(message: &str) -> Option<String> {
    ["missing field `", "unknown field `"]
        .iter()
        .find_map(|prefix| message.strip_prefix(prefix))
        .and_then(|rest| rest.split('`').next())
        .map(str::to_owned)
}

/// The field serde names in "missing field `x`".
fn missing_in(e: &serde_json::Error) -> Option<String> {
    let message = e.to_string();
    let rest = message.strip_prefix("missing field `")?;
    rest.split('`').next().map(str::to_owned)
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
    struct Recipient {
        name: String,
        phone: String,
    }

    #[derive(Debug, Deserialize)]
    #[serde(rename_all = "snake_case")]
    enum Kind {
        Individual,
        Company,
    }

    #[derive(Debug, Deserialize)]
    #[allow(dead_code)]
    struct Order {
        recipient: Recipient,
        kind: Kind,
        owner_id: Uuid,
        promised_at: chrono::DateTime<chrono::Utc>,
        weight_kg: f64,
        note: Option<String>,
    }

    /// The fields a body of an `Order` is refused for, in order.
    async fn refused_fields(json: serde_json::Value) -> Vec<String> {
        let (req, mut payload) = TestRequest::post().set_json(json).to_http_parts();
        let e = Json::<Order>::from_request(&req, &mut payload)
            .await
            .expect_err("refused");
        match e.as_error::<ApiError>() {
            Some(ApiError::Validation(errors)) => errors.iter().map(|e| e.field.clone()).collect(),
            other => panic!("not a validation error: {other:?}"),
        }
    }

    #[actix_web::test]
    async fn every_missing_field_is_named_at_once() {
        let recipient = serde_json::json!({"name": "n", "phone": "p"});
        let fields = refused_fields(serde_json::json!({"recipient": recipient, "kind": "company"}));
        assert_eq!(fields.await, ["owner_id", "promised_at", "weight_kg"]);
    }

    #[actix_web::test]
    async fn missing_nested_fields_are_named_by_their_path() {
        let body = serde_json::json!({"recipient": {}, "kind": "company", "weight_kg": 1,
            "owner_id": Uuid::nil(), "promised_at": "2026-01-01T00:00:00Z"});
        let fields = refused_fields(body).await;
        assert_eq!(fields, ["recipient.name", "recipient.phone"]);
    }

    #[actix_web::test]
    async fn a_missing_object_or_enum_is_named_once_and_the_rest_too() {
        let fields = refused_fields(serde_json::json!({"note": "n"})).await;
        let expected = ["recipient", "kind", "owner_id", "promised_at", "weight_kg"];
        assert_eq!(
            fields, expected,
            "not the fields inside the missing recipient"
        );
    }

    #[actix_web::test]
    async fn a_missing_field_and_a_wrong_type_are_both_named() {
        let body = serde_json::json!({"recipient": {"name": "n"}, "weight_kg": "heavy"});
        let fields = refused_fields(body).await;
        assert_eq!(
            fields,
            ["recipient.phone", "weight_kg"],
            "stops at the wrong type"
        );
        let fields = refused_fields(serde_json::json!({"weight_kg": "heavy"})).await;
        assert_eq!(
            fields,
            ["weight_kg"],
            "a wrong type first is named alone, as before"
        );
    }

    #[actix_web::test]
    async fn a_field_no_placeholder_fits_ends_the_list_there() {
        #[derive(Debug, Deserialize)]
        #[allow(dead_code)]
        struct Counted {
            name: String,
            count: std::num::NonZeroU32,
            label: String,
        }
        let (req, mut payload) = TestRequest::post()
            .set_json(serde_json::json!({}))
            .to_http_parts();
        let e = Json::<Counted>::from_request(&req, &mut payload)
            .await
            .expect_err("refused");
        let Some(ApiError::Validation(errors)) = e.as_error::<ApiError>() else {
            panic!("not a validation error");
        };
        let fields: Vec<_> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["name", "count"]);
        assert_eq!(errors[1].message, "missing field `count`");
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
