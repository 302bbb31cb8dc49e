//! The root span of every HTTP request, as tracing-actix-web's default but with the path only:
//! query strings carry personal data (`GET /api/v1/customers?phone=...`), and every event logged
//! inside a request carries its span's fields, so the query never enters a span (SPEC §10:
//! secrets and PII never in logs; found by the secrets-in-logs test at `RUST_LOG=trace`).

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::Error;
use tracing::field::Empty;
use tracing::Span;
use tracing_actix_web::{DefaultRootSpanBuilder, RootSpanBuilder};

/// The root span of `request` (disabled unless `RUST_LOG` is at info or finer: then nothing
/// is recorded and the request is not instrumented at all).
pub fn root_span(request: &ServiceRequest, request_id: &str) -> Span {
    // The fields are recorded only when the span is enabled: the route is found by walking
    // the route table (its patterns are regexes), which at the usual `warn` cost more than
    // some handlers.
    let span = tracing::info_span!(
        "HTTP request",
        http.method = Empty,
        http.route = Empty,
        http.host = Empty,
        http.client_ip = Empty,
        http.user_agent = Empty,
        http.target = Empty,
        http.status_code = Empty,
        otel.name = Empty,
        otel.kind = "server",
        otel.status_code = Empty,
        request_id = Empty,
        exception.message = Empty,
        exception.details = Empty,
    );
    if span.is_disabled() {
        return span;
    }
    let route = request.match_pattern().unwrap_or_else(|| "default".into());
    let method = request.method().as_str();
    let user_agent = request
        .headers()
        .get("user-agent")
        .and_then(|h| h.to_str().ok())
        .unwrap_or("");
    let conn = request.connection_info();
    span.record("http.method", method);
    span.record("http.route", route.as_str());
    span.record("http.host", conn.host());
    span.record("http.client_ip", conn.realip_remote_addr().unwrap_or(""));
    span.record("http.user_agent", user_agent);
    span.record("http.target", request.path());
    span.record("otel.name", format!("{method} {route}").as_str());
    span.record("request_id", request_id);
    span
}

/// Records the answer's status (or error) on the span, as tracing-actix-web does.
pub fn on_end<B: MessageBody>(span: Span, outcome: &Result<ServiceResponse<B>, Error>) {
    if !span.is_disabled() {
        DefaultRootSpanBuilder::on_request_end(span, outcome);
    }
}
