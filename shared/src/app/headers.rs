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

/// Headers every response carries.
pub(super) fn security_headers() -> actix_web::middleware::DefaultHeaders {
    actix_web::middleware::DefaultHeaders::new()
        .add(("x-content-type-options", "nosniff"))
        .add(("x-frame-options", "DENY"))
        .add(("referrer-policy", "no-referrer"))
        .add((
            "strict-transport-security",
            "max-age=31536000; includeSubDomains",
        ))
        .add(("cross-origin-opener-policy", "same-origin"))
}
