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

/// What a root span records of its request.
pub struct SpanFields<'a> {
    pub method: &'a str,
    /// The matched route pattern, `default` when none matched (a proxied path).
    pub route: &'a str,
    pub host: &'a str,
    pub client_ip: &'a str,
    pub user_agent: &'a str,
    /// The path, never the query.
    pub target: &'a str,
}

/// The root span of `request` (disabled unless `RUST_LOG` is at info or finer: then nothing
/// is recorded and the request is not instrumented at all).
pub fn root_span(request: &ServiceRequest, request_id: &str) -> Span {
    let span = new_root_span();
    if span.is_disabled() {
        return span;
    }
    // The fields are recorded only when the span is enabled: the route is found by walking
    // the route table (its patterns are regexes), which at the usual `warn` cost more than
    // some handlers.
    let route = request.match_pattern().unwrap_or_else(|| "default".into());
    let conn = request.connection_info();
    let fields = SpanFields {
        method: request.method().as_str(),
        route: route.as_str(),
        host: conn.host(),
        client_ip: conn.realip_remote_addr().unwrap_or(""),
        user_agent: user_agent(request.headers()),
        target: request.path(),
    };
    record(&span, fields, request_id);
    span
}

/// The `User-Agent` as a span records it.
pub fn user_agent(headers: &actix_web::http::header::HeaderMap) -> &str {
    headers
        .get("user-agent")
        .and_then(|h| h.to_str().ok())
        .unwrap_or("")
}

/// A root span, its fields empty; see [`record`].
pub fn new_root_span() -> Span {
    tracing::info_span!(
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
    )
}

/// Records the request's fields on an enabled root span.
pub fn record(span: &Span, f: SpanFields<'_>, request_id: &str) {
    span.record("http.method", f.method);
    span.record("http.route", f.route);
    span.record("http.host", f.host);
    span.record("http.client_ip", f.client_ip);
    span.record("http.user_agent", f.user_agent);
    span.record("http.target", f.target);
    span.record("otel.name", format!("{} {}", f.method, f.route).as_str());
    span.record("request_id", request_id);
}

/// Records the answer's status (or error) on the span, as tracing-actix-web does.
pub fn on_end<B: MessageBody>(span: Span, outcome: &Result<ServiceResponse<B>, Error>) {
    if !span.is_disabled() {
        DefaultRootSpanBuilder::on_request_end(span, outcome);
    }
}

/// [`on_end`] for an answer built without a `ServiceResponse` (the shortcut's, see
/// [`crate::app::shortcut::Envelope`]).
pub fn on_end_response(span: Span, response: &actix_web::HttpResponse) {
    if span.is_disabled() {
        return;
    }
    let status = response.status();
    if let Some(error) = response.error() {
        let error = error.as_response_error();
        span.record(
            "exception.message",
            tracing::field::display(format!("{error}")),
        );
        span.record(
            "exception.details",
            tracing::field::display(format!("{error:?}")),
        );
    }
    span.record("http.status_code", i32::from(status.as_u16()));
    let failed = response.error().is_some() && !status.is_client_error();
    span.record("otel.status_code", if failed { "ERROR" } else { "OK" });
}
