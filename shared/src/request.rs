//! Per-request context: the `X-Request-Id` (taken from the caller or generated) and the W3C
//! `traceparent` (continued or started), echoed on the response, available to handlers so events
//! written to the outbox carry them, and stamped into problem+json bodies.

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{Payload, ServiceResponse};
use actix_web::http::header::{HeaderMap, HeaderName, HeaderValue};
use actix_web::{FromRequest, HttpMessage, HttpRequest, HttpResponse};
use std::future::{ready, Ready};

use crate::problem::ApiError;

pub const REQUEST_ID: &str = "x-request-id";
pub const TRACEPARENT: &str = "traceparent";
// Typed once: a name given as text is parsed again on every lookup or insert.
static ID: HeaderName = HeaderName::from_static(REQUEST_ID);
static PARENT: HeaderName = HeaderName::from_static(TRACEPARENT);

/// The request id and trace context of the request being served.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestContext {
    pub request_id: String,
    /// `00-<trace id>-<span id>-<flags>`; this service's span id, the caller's trace id.
    pub traceparent: String,
}

impl RequestContext {
    /// A context for work not started by a request (sweeps, consumers without a trace).
    pub fn detached() -> Self {
        Self {
            request_id: new_request_id(),
            traceparent: new_traceparent(None),
        }
    }

    pub(crate) fn from_headers(req: &HttpRequest) -> Self {
        Self::from_header_map(req.headers())
    }

    /// The context of a request with these headers.
    pub(crate) fn from_header_map(headers: &HeaderMap) -> Self {
        let text = |name| {
            headers
                .get(name)
                .and_then(|v: &HeaderValue| v.to_str().ok())
        };
        let request_id = text(&ID)
            .filter(|id| is_valid_request_id(id))
            .map_or_else(new_request_id, str::to_owned);
        let trace_id = text(&PARENT).and_then(parse_trace_id);
        Self {
            request_id,
            traceparent: new_traceparent(trace_id.as_deref()),
        }
    }
}

/// A new request id: a UUIDv7 (time-ordered), hyphenated.
fn new_request_id() -> String {
    let mut buf = [0u8; uuid::fmt::Hyphenated::LENGTH];
    crate::clock::new_id()
        .hyphenated()
        .encode_lower(&mut buf)
        .to_owned()
}

fn is_valid_request_id(id: &str) -> bool {
    (1..=128).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.:".contains(&b))
}

/// The trace id of a well-formed `traceparent` (version 00), if any.
pub fn parse_trace_id(traceparent: &str) -> Option<String> {
    let mut parts = traceparent.trim().split('-');
    let hex = |s: &str, n: usize| s.len() == n && s.bytes().all(|b| b.is_ascii_hexdigit());
    match [(); 5].map(|_| parts.next()) {
        [Some(version), Some(trace), Some(span), Some(flags), None]
            if hex(version, 2) && hex(trace, 32) && hex(span, 16) && hex(flags, 2) =>
        {
            (trace.bytes().any(|b| b != b'0')).then(|| trace.to_ascii_lowercase())
        }
        _ => None,
    }
}

/// A traceparent continuing `trace_id` (or a new trace) with a fresh span id.
pub fn new_traceparent(trace_id: Option<&str>) -> String {
    // Written into one string (every request makes one: no intermediate strings).
    let mut hex = [0u8; uuid::fmt::Simple::LENGTH];
    let mut out = String::with_capacity(55);
    out.push_str("00-");
    match trace_id {
        Some(trace) => out.push_str(trace),
        None => out.push_str(uuid::Uuid::new_v4().simple().encode_lower(&mut hex)),
    }
    out.push('-');
    out.push_str(&uuid::Uuid::new_v4().simple().encode_lower(&mut hex)[..16]);
    out.push_str("-01");
    out
}

impl FromRequest for RequestContext {
    type Error = actix_web::Error;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let ctx = req
            .extensions()
            .get::<RequestContext>()
            .cloned()
            .unwrap_or_else(|| RequestContext::from_headers(req));
        ready(Ok(ctx))
    }
}

/// The answer to a request [`crate::http_front::Front`] gave its context: the request id and
/// `traceparent` echoed, a problem+json body completed with `instance` and `request_id`.
pub(crate) fn complete(
    res: ServiceResponse<impl MessageBody + 'static>,
) -> ServiceResponse<BoxBody> {
    let Some(ctx) = res.request().extensions_mut().remove::<RequestContext>() else {
        return res.map_into_boxed_body();
    };
    let (req, resp) = res.into_parts();
    let resp = crate::methods::with_problem(resp.map_into_boxed_body(), req.method());
    let resp = complete_response(resp, req.path(), ctx);
    ServiceResponse::new(req, resp)
}

/// [`complete`] for an answer to a request at `path` (the shortcut's answers too, see
/// [`crate::app::shortcut::Envelope`]).
pub(crate) fn complete_response(
    res: HttpResponse,
    path: &str,
    ctx: RequestContext,
) -> HttpResponse {
    let mut res = complete_problem(res, path, &ctx);
    let headers = res.headers_mut();
    if let Ok(v) = HeaderValue::try_from(ctx.request_id) {
        headers.insert(ID.clone(), v);
    }
    if let Ok(v) = HeaderValue::try_from(ctx.traceparent) {
        headers.insert(PARENT.clone(), v);
    }
    res
}

fn complete_problem(res: HttpResponse, path: &str, ctx: &RequestContext) -> HttpResponse {
    use actix_web::http::header::{CONTENT_LENGTH, CONTENT_TYPE};
    let Some(error) = res.error() else {
        return res;
    };
    let (instance, id) = (Some(path.to_owned()), Some(ctx.request_id.clone()));
    let problem = match error.as_error::<ApiError>() {
        Some(api_error) => api_error.to_problem(instance, id),
        // Another layer's refusal (a CORS preflight from an origin not allowed, ...): a
        // problem document all the same, with its status.
        None => of_status(res.status(), &error.to_string(), instance, id),
    };
    let mut builder = HttpResponse::build(res.status());
    for (name, value) in res.headers().iter() {
        if name != CONTENT_LENGTH && name != CONTENT_TYPE {
            builder.append_header((name.clone(), value.clone()));
        }
    }
    builder.content_type(crate::problem::PROBLEM_JSON);
    builder.body(serde_json::to_vec(&problem).unwrap_or_default())
}

/// The problem document of an error that is no `ApiError`: its message for a 4xx, never a
/// 5xx's (it may hold internals).
fn of_status(
    status: actix_web::http::StatusCode,
    message: &str,
    instance: Option<String>,
    request_id: Option<String>,
) -> crate::problem::Problem {
    let title = status.canonical_reason().unwrap_or("Error");
    let code = title.to_lowercase().replace([' ', '-'], "_");
    crate::problem::Problem {
        type_: format!("https://kuaidi.dev/problems/{code}"),
        title: title.to_owned(),
        status: status.as_u16(),
        detail: if status.is_server_error() {
            "an unexpected error occurred; it has been logged".to_owned()
        } else {
            message.to_owned()
        },
        instance,
        code,
        errors: Vec::new(),
        request_id,
        extensions: serde_json::Map::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[actix_web::test]
    async fn another_layers_refusal_is_a_problem_document_too() {
        let ctx = RequestContext::detached();
        let refused =
            actix_web::error::ErrorBadRequest("Origin is not allowed to make this request");
        let res = HttpResponse::from_error(refused);
        let res = complete_problem(res, "/api/v1/users", &ctx);
        assert_eq!(res.status(), 400);
        assert_eq!(
            res.headers()
                .get(actix_web::http::header::CONTENT_TYPE)
                .expect("type"),
            crate::problem::PROBLEM_JSON
        );
        let failed = actix_web::error::ErrorInternalServerError("pool: SELECT secret");
        let res = complete_problem(HttpResponse::from_error(failed), "/x", &ctx);
        let body = actix_web::body::to_bytes(res.into_body())
            .await
            .expect("body");
        let problem: serde_json::Value = serde_json::from_slice(&body).expect("json");
        assert_eq!(problem["status"], 500);
        assert_eq!(problem["code"], "internal_server_error");
        assert!(!problem["detail"]
            .as_str()
            .expect("detail")
            .contains("SELECT"));
    }

    #[test]
    fn traceparent_continues_the_callers_trace() {
        let tp = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
        let trace = parse_trace_id(tp).expect("valid traceparent");
        let next = new_traceparent(Some(&trace));
        assert!(next.starts_with("00-4bf92f3577b34da6a3ce929d0e0e4736-"));
        assert_ne!(next, tp, "a new span id is expected");
        assert_eq!(parse_trace_id(&next), Some(trace), "{next} is well formed");
        let fresh = new_traceparent(None);
        assert_eq!(fresh.len(), 55, "{fresh}");
        assert!(parse_trace_id(&fresh).is_some(), "{fresh} is well formed");
    }

    #[test]
    fn malformed_traceparents_start_a_new_trace() {
        assert_eq!(parse_trace_id("garbage"), None);
        let tp = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
        assert_eq!(parse_trace_id(&format!("{tp}-01")), None, "a fifth part");
        assert_eq!(parse_trace_id(&tp[..tp.len() - 3]), None, "no flags");
        assert_eq!(
            parse_trace_id("00-00000000000000000000000000000000-00f067aa0ba902b7-01"),
            None
        );
    }

    #[test]
    fn a_request_keeps_the_callers_id_or_gets_a_time_ordered_one() {
        let mut headers = HeaderMap::new();
        let generated = RequestContext::from_header_map(&headers).request_id;
        let id = uuid::Uuid::parse_str(&generated).expect("a UUID");
        assert_eq!(id.get_version_num(), 7, "{generated}");
        assert_eq!(generated, id.hyphenated().to_string());
        headers.insert(
            HeaderName::from_static(REQUEST_ID),
            HeaderValue::from_static("abc-123"),
        );
        assert_eq!(
            RequestContext::from_header_map(&headers).request_id,
            "abc-123"
        );
        headers.insert(
            HeaderName::from_static(REQUEST_ID),
            HeaderValue::from_static("a b"),
        );
        assert_ne!(RequestContext::from_header_map(&headers).request_id, "a b");
    }

    #[test]
    fn request_ids_are_sanitised() {
        assert!(is_valid_request_id("abc-123"));
        assert!(!is_valid_request_id("a\nb"));
        assert!(!is_valid_request_id(""));
    }
}
