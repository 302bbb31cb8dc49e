//! The headers of every answer: CORS for the configured front ends and security headers.

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
        .expose_headers([
            "etag",
            "location",
            "x-request-id",
            "retry-after",
            "ratelimit-limit",
            "ratelimit-remaining",
            "ratelimit-reset",
        ])
        .max_age(600);
    for origin in origins {
        cors = cors.allowed_origin(origin);
    }
    cors
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
/// copy it from the answer it relays).
pub fn is_default_header(name: &str, value: &[u8]) -> bool {
    SECURITY_HEADERS
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
