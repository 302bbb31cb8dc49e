//! The headers of every answer: CORS for the configured front ends and security headers.

use actix_web::http::header::{self, HeaderMap, HeaderName, HeaderValue};

/// CORS for the configured origins: the API's methods and headers, `ETag` and rate-limit
/// headers exposed, credentials not allowed (tokens travel in headers).
pub(super) fn cors(origins: &[String]) -> actix_cors::Cors {
    let mut cors = actix_cors::Cors::default()
        .allowed_methods(["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"])
        .allowed_headers([
            "authorization",
            "content-type",
            "x-api-key",
            "idempotency-key",
            "if-match",
            "if-none-match",
            "x-request-id",
            "traceparent",
        ])
        .expose_headers(EXPOSED)
        .max_age(600);
    for origin in origins {
        cors = cors.allowed_origin(origin);
    }
    cors
}

/// The answer headers a browser front end may read.
const EXPOSED: [&str; 7] = [
    "etag",
    "location",
    "x-request-id",
    "retry-after",
    "ratelimit-limit",
    "ratelimit-remaining",
    "ratelimit-reset",
];

/// The `Vary` the CORS layer adds to every answer.
const VARY: &str = "Origin, Access-Control-Request-Method, Access-Control-Request-Headers";

/// What the CORS layer adds to the answer of a request with no `Origin` (as `actix-cors` does:
/// the exposed headers, and `Vary` on the request headers its answer depends on).
pub(super) fn cors_without_origin(headers: &mut HeaderMap) {
    static EXPOSE: std::sync::LazyLock<HeaderValue> = std::sync::LazyLock::new(|| {
        HeaderValue::from_str(&EXPOSED.join(", ")).expect("header names are valid values")
    });
    headers.insert(header::ACCESS_CONTROL_EXPOSE_HEADERS, EXPOSE.clone());
    let vary = match headers.get(header::VARY) {
        Some(v) => {
            let mut joined = v.as_bytes().to_vec();
            joined.extend_from_slice(b", ");
            joined.extend_from_slice(VARY.as_bytes());
            HeaderValue::from_bytes(&joined).ok()
        }
        None => Some(HeaderValue::from_static(VARY)),
    };
    if let Some(vary) = vary {
        headers.insert(header::VARY, vary);
    }
}

/// Sets the security headers an answer does not set itself.
pub(super) fn add_security_headers(headers: &mut HeaderMap) {
    // Typed once: a name given as text is parsed again on every lookup.
    static TYPED: std::sync::LazyLock<[(HeaderName, HeaderValue); 5]> =
        std::sync::LazyLock::new(|| {
            SECURITY_HEADERS.map(|(name, value)| {
                (
                    HeaderName::from_static(name),
                    HeaderValue::from_static(value),
                )
            })
        });
    for (name, value) in TYPED.iter() {
        if !headers.contains_key(name) {
            headers.insert(name.clone(), value.clone());
        }
    }
}

/// Headers every response carries (a handler may set its own value of one of them).
const SECURITY_HEADERS: [(&str, &str); 5] = [
    ("x-content-type-options", "nosniff"),
    ("x-frame-options", "DENY"),
    ("referrer-policy", "no-referrer"),
    (
        "strict-transport-security",
        "max-age=31536000; includeSubDomains",
    ),
    ("cross-origin-opener-policy", "same-origin"),
];

/// Whether every response of these processes carries `name: value` anyway (a proxy need not
/// copy it from the answer it relays): a security header, CORS's `Vary`, or the exposed
/// headers (whatever their order: CORS sets its own on every answer).
pub fn is_default_header(name: &str, value: &[u8]) -> bool {
    name == "access-control-expose-headers"
        || (name == "vary" && value == VARY.as_bytes())
        || SECURITY_HEADERS
            .iter()
            .any(|(n, v)| *n == name && v.as_bytes() == value)
}

pub(super) fn security_headers() -> actix_web::middleware::DefaultHeaders {
    SECURITY_HEADERS
        .iter()
        .fold(actix_web::middleware::DefaultHeaders::new(), |h, pair| {
            h.add(*pair)
        })
}
