//! Forwarding to a service over the worker's keep-alive pool: headers passed on (minus
//! hop-by-hop ones), the request id, trace context and verified token set, idempotent methods
//! retried once on a connection failure, `502`/`504` when the service is down or slow, and the
//! answer relayed back (small ones with a length, large ones streamed).

use actix_web::http::{header, Method};
use actix_web::{web, HttpRequest, HttpResponse};
use kuaidi_shared::http::PII_AUDIT_HEADER;
use kuaidi_shared::request::{RequestContext, REQUEST_ID, TRACEPARENT};
use kuaidi_shared::ApiError;

use super::body::Body;
use super::routing::Route;

/// Hop-by-hop headers (RFC 9110 §7.6.1) and those the proxy sets itself.
fn is_hop_by_hop(name: &header::HeaderName) -> bool {
    matches!(
        name.as_str(),
        "connection"
            | "keep-alive"
            | "proxy-authenticate"
            | "proxy-authorization"
            | "te"
            | "trailer"
            | "transfer-encoding"
            | "upgrade"
            | "host"
            | "content-length"
            | REQUEST_ID
            | TRACEPARENT
            | "x-forwarded-for"
            | "x-forwarded-proto"
            | "x-forwarded-host"
            | "x-api-key"
            | "authorization"
    )
}

/// The headers sent upstream: the caller's end-to-end headers, then the gateway's own — the
/// request id, the trace context, the token it authorised and the `x-forwarded-*` trio.
fn upstream_headers(
    req: &HttpRequest,
    ctx: &RequestContext,
    token: Option<&str>,
) -> reqwest::header::HeaderMap {
    let mut headers = reqwest::header::HeaderMap::new();
    for (name, value) in req.headers() {
        if !is_hop_by_hop(name) {
            if let (Ok(n), Ok(v)) = (
                reqwest::header::HeaderName::from_bytes(name.as_str().as_bytes()),
                reqwest::header::HeaderValue::from_bytes(value.as_bytes()),
            ) {
                headers.append(n, v);
            }
        }
    }
    let mut set = |name: &'static str, value: &str| {
        if let Ok(v) = reqwest::header::HeaderValue::from_str(value) {
            headers.insert(name, v);
        }
    };
    set(REQUEST_ID, &ctx.request_id);
    set(TRACEPARENT, &ctx.traceparent);
    if let Some(token) = token {
        set("authorization", &format!("Bearer {token}"));
    }
    if let Some(peer) = req.peer_addr() {
        set("x-forwarded-for", &peer.ip().to_string());
    }
    set("x-forwarded-proto", req.connection_info().scheme());
    set("x-forwarded-host", req.connection_info().host());
    headers
}

/// Sends the request upstream; idempotent methods are retried once on a connection failure.
pub async fn send(
    req: &HttpRequest,
    ctx: &RequestContext,
    client: &reqwest::Client,
    route: &Route,
    url: &str,
    token: Option<&str>,
    body: Body,
) -> Result<reqwest::Response, ApiError> {
    let method = reqwest::Method::from_bytes(req.method().as_str().as_bytes())
        .map_err(|_| ApiError::BadRequest("unsupported method".into()))?;
    let headers = upstream_headers(req, ctx, token);
    let idempotent = matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    let (attempts, mut streaming, buffered) = match body {
        Body::Buffered(b) => (if idempotent { 2 } else { 1 }, None, b),
        Body::Streaming(s) => (1, Some(s), web::Bytes::new()),
    };
    for attempt in 0..attempts {
        let body = match streaming.take() {
            Some(s) => s,
            None => reqwest::Body::from(buffered.clone()),
        };
        let sent = client
            .request(method.clone(), url)
            .headers(headers.clone())
            .timeout(route.timeout)
            .body(body)
            .send()
            .await;
        match sent {
            Ok(resp) => return Ok(resp),
            Err(e) if e.is_timeout() => {
                tracing::warn!(upstream = %route.upstream, error = %e, "upstream timed out");
                return Err(ApiError::GatewayTimeout(format!(
                    "the service did not answer within {} ms",
                    route.timeout.as_millis()
                )));
            }
            Err(e) => {
                tracing::warn!(upstream = %route.upstream, attempt, error = %e, "upstream unreachable");
            }
        }
    }
    Err(ApiError::BadGateway("the service is unavailable".into()))
}

pub fn buffered_response(
    status: u16,
    headers: &reqwest::header::HeaderMap,
    body: bytes::Bytes,
) -> HttpResponse {
    let mut out = HttpResponse::build(
        actix_web::http::StatusCode::from_u16(status)
            .unwrap_or(actix_web::http::StatusCode::BAD_GATEWAY),
    );
    copy_headers(&mut out, headers);
    out.body(body)
}

fn copy_headers(out: &mut actix_web::HttpResponseBuilder, headers: &reqwest::header::HeaderMap) {
    for (name, value) in headers {
        if let Ok(name) = header::HeaderName::from_bytes(name.as_str().as_bytes()) {
            if !is_hop_by_hop(&name) && name.as_str() != PII_AUDIT_HEADER {
                if let Ok(v) = header::HeaderValue::from_bytes(value.as_bytes()) {
                    out.append_header((name, v));
                }
            }
        }
    }
}

/// Answers with the service's response: small ones (the usual JSON) are read whole and sent
/// with a length, which costs less than chunked streaming; large ones stream through.
pub async fn relay_response(resp: reqwest::Response) -> Result<HttpResponse, ApiError> {
    let status = resp.status().as_u16();
    if resp.content_length().is_some_and(|n| n <= 256 * 1024) {
        let headers = resp.headers().clone();
        let bytes = resp
            .bytes()
            .await
            .map_err(|_| ApiError::BadGateway("the service's answer was cut off".into()))?;
        return Ok(buffered_response(status, &headers, bytes));
    }
    let mut out = HttpResponse::build(
        actix_web::http::StatusCode::from_u16(status)
            .unwrap_or(actix_web::http::StatusCode::BAD_GATEWAY),
    );
    copy_headers(&mut out, resp.headers());
    Ok(out.streaming(resp.bytes_stream()))
}
