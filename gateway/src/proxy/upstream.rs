//! Forwarding to a service over the worker's keep-alive pool (hyper's client, without the
//! layers of a general-purpose client: no URL parsing, redirects or header copies beyond what
//! the hop needs): headers passed on (minus hop-by-hop ones), the request id, trace context and
//! verified token set, idempotent methods retried once on a connection failure, `502`/`504` when
//! the service is down or slow, and the answer relayed back (small ones with a length, large ones
//! streamed).

use actix_web::dev::RequestHead;
use actix_web::http::{header, Method};
use actix_web::HttpResponse;
use bytes::Bytes;
use futures_util::TryStreamExt;
use http_body_util::{BodyDataStream, BodyExt, Either, Full};
use hyper::body::Incoming;
use kuaidi_shared::app::is_default_header;
use kuaidi_shared::http::PII_AUDIT_HEADER;
use kuaidi_shared::request::{RequestContext, REQUEST_ID, TRACEPARENT};
use kuaidi_shared::ApiError;
use std::time::Duration;

use super::body::{Body, Streamed};
use super::routing::Route;
use super::Inbound;

/// A request body on its way upstream: buffered, or streamed as it arrives.
pub type OutBody = Either<Full<Bytes>, Streamed>;

/// One worker's keep-alive connections to the services.
pub use super::pool::Client;

/// The answer of a service, its body not read yet.
pub type Answer = hyper::Response<Incoming>;

/// Answers up to this size are read whole and sent on with a length.
const BUFFER_ANSWERS_UP_TO: u64 = 256 * 1024;

/// The connections of one worker.
pub fn client(connect_timeout: Duration) -> Client {
    Client::new(connect_timeout)
}

/// Hop-by-hop headers (RFC 9110 §7.6.1) and those the proxy sets itself.
fn is_hop_by_hop(name: &str) -> bool {
    matches!(
        name,
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
    req: &Inbound<'_>,
    ctx: &RequestContext,
    token: Option<&[u8]>,
) -> http::HeaderMap {
    let mut headers = http::HeaderMap::with_capacity(req.head.headers.len() + 6);
    for (name, value) in &req.head.headers {
        if !is_hop_by_hop(name.as_str()) {
            if let (Ok(n), Ok(v)) = (
                http::HeaderName::from_bytes(name.as_str().as_bytes()),
                http::HeaderValue::from_bytes(value.as_bytes()),
            ) {
                headers.append(n, v);
            }
        }
    }
    const SET: [http::HeaderName; 5] = [
        http::HeaderName::from_static(REQUEST_ID),
        http::HeaderName::from_static(TRACEPARENT),
        http::header::AUTHORIZATION,
        http::HeaderName::from_static("x-forwarded-proto"),
        http::HeaderName::from_static("x-forwarded-host"),
    ];
    let [request_id, traceparent, authorization, proto, host] = SET;
    let mut set = |name: http::HeaderName, value: Result<http::HeaderValue, _>| {
        if let Ok(v) = value {
            headers.insert(name, v);
        }
    };
    let text = http::HeaderValue::from_str;
    set(request_id, text(&ctx.request_id));
    set(traceparent, text(&ctx.traceparent));
    if let Some(token) = token {
        // Built in one buffer the value then owns: no formatting, no second copy.
        let mut bearer = Vec::with_capacity(7 + token.len());
        bearer.extend_from_slice(b"Bearer ");
        bearer.extend_from_slice(token);
        set(
            authorization,
            http::HeaderValue::from_maybe_shared(Bytes::from(bearer)),
        );
    }
    set(proto, text(req.scheme));
    set(host, text(req.host));
    if let Some(peer) = req.head.peer_addr {
        headers.insert("x-forwarded-for", forwarded_for(peer.ip()));
    }
    headers
}

/// The `X-Forwarded-For` value of a peer: the worker's last one again when it is the same
/// address (the usual case: a load balancer's or a few clients' long-lived connections), so
/// the address is not formatted on every request.
fn forwarded_for(ip: std::net::IpAddr) -> http::HeaderValue {
    thread_local! {
        static LAST: std::cell::RefCell<Option<(std::net::IpAddr, http::HeaderValue)>> =
            const { std::cell::RefCell::new(None) };
    }
    LAST.with_borrow_mut(|last| match last {
        Some((seen, value)) if *seen == ip => value.clone(),
        _ => {
            let value = http::HeaderValue::from_str(&ip.to_string())
                .expect("an IP address is a valid header value");
            *last = Some((ip, value.clone()));
            value
        }
    })
}

/// The upstream request target of `req` (origin form), `400` unless its path is exactly the
/// one routed and authorised (nothing between here and the service may resolve it to another
/// path).
pub fn uri(req: &RequestHead) -> Result<http::Uri, ApiError> {
    let path = req.uri.path();
    let target = req.uri.path_and_query().map_or(path, |p| p.as_str());
    match http::Uri::try_from(target) {
        Ok(uri) if uri.path() == path => Ok(uri),
        _ => Err(ApiError::BadRequest(
            "the path is not in normal form".into(),
        )),
    }
}

/// Sends the request upstream; idempotent methods are retried once on a connection failure.
pub async fn send(
    req: &Inbound<'_>,
    ctx: &RequestContext,
    client: &Client,
    route: &Route<'_>,
    uri: http::Uri,
    token: Option<&[u8]>,
    body: Body,
) -> Result<Answer, ApiError> {
    // A HEAD goes upstream as the GET it stands for (as the app's way turns it, see
    // `kuaidi_shared::app`): the caller's connection writes no content, and the answer keeps
    // GET's `Content-Length`, whichever way it came.
    let method = match req.head.method {
        Method::HEAD => http::Method::GET,
        ref m => http::Method::from_bytes(m.as_str().as_bytes())
            .map_err(|_| ApiError::BadRequest("unsupported method".into()))?,
    };
    let idempotent = matches!(
        req.head.method,
        Method::GET | Method::HEAD | Method::OPTIONS
    );
    let (attempts, mut streaming, buffered) = match body {
        Body::Buffered(b) => (if idempotent { 2 } else { 1 }, None, b),
        Body::Streaming(s) => (1, Some(s), Bytes::new()),
    };
    for attempt in 0..attempts {
        let body = match streaming.take() {
            Some(s) => Either::Right(s),
            None => Either::Left(Full::new(buffered.clone())),
        };
        let mut out = http::Request::new(body);
        *out.method_mut() = method.clone();
        *out.uri_mut() = uri.clone();
        // Built again for a retry (rare) rather than kept as a copy on every request.
        *out.headers_mut() = upstream_headers(req, ctx, token);
        let answer = client.request(route.upstream, out);
        match tokio::time::timeout(route.timeout, answer).await {
            Ok(Ok(resp)) => return Ok(resp),
            Err(_) => {
                tracing::warn!(upstream = %route.upstream, "upstream timed out");
                return Err(timed_out(route));
            }
            Ok(Err(e)) => {
                tracing::warn!(upstream = %route.upstream, attempt, error = %e, "upstream unreachable");
            }
        }
    }
    Err(ApiError::BadGateway("the service is unavailable".into()))
}

fn timed_out(route: &Route<'_>) -> ApiError {
    ApiError::GatewayTimeout(format!(
        "the service did not answer within {} ms",
        route.timeout.as_millis()
    ))
}

fn cut_off() -> ApiError {
    ApiError::BadGateway("the service's answer was cut off".into())
}

/// The whole body of a service's answer.
pub async fn read_all(body: Incoming) -> Result<Bytes, ApiError> {
    Ok(body.collect().await.map_err(|_| cut_off())?.to_bytes())
}

pub fn buffered_response(status: u16, headers: &http::HeaderMap, body: Bytes) -> HttpResponse {
    let mut out = HttpResponse::build(
        actix_web::http::StatusCode::from_u16(status)
            .unwrap_or(actix_web::http::StatusCode::BAD_GATEWAY),
    );
    copy_headers(&mut out, headers);
    out.body(body)
}

/// Copies an answer's end-to-end headers, less those the gateway's own middleware sets to the
/// same value anyway (the security headers every process adds): each copy converts a name and
/// a value between two `http` versions, an allocation apiece.
fn copy_headers(out: &mut actix_web::HttpResponseBuilder, headers: &http::HeaderMap) {
    for (name, value) in headers {
        if is_hop_by_hop(name.as_str())
            || name.as_str() == PII_AUDIT_HEADER
            || is_default_header(name.as_str(), value.as_bytes())
        {
            continue;
        }
        if let (Some(name), Ok(v)) = (
            actix_name(name),
            header::HeaderValue::from_bytes(value.as_bytes()),
        ) {
            out.append_header((name, v));
        }
    }
}

/// `name` as actix-web's `http` version has it: the headers of a usual answer by constant,
/// the others parsed.
fn actix_name(name: &http::HeaderName) -> Option<header::HeaderName> {
    use http::header as h;
    const USUAL: [(h::HeaderName, header::HeaderName); 7] = [
        (h::CONTENT_TYPE, header::CONTENT_TYPE),
        (h::ETAG, header::ETAG),
        (h::CACHE_CONTROL, header::CACHE_CONTROL),
        (h::DATE, header::DATE),
        (h::LOCATION, header::LOCATION),
        (h::LAST_MODIFIED, header::LAST_MODIFIED),
        (h::VARY, header::VARY),
    ];
    match USUAL.iter().find(|(theirs, _)| theirs == name) {
        Some((_, ours)) => Some(ours.clone()),
        None => header::HeaderName::from_bytes(name.as_str().as_bytes()).ok(),
    }
}

/// Answers with the service's response: small ones (the usual JSON) are read whole and sent
/// with a length, which costs less than chunked streaming; large ones stream through.
pub async fn relay_response(resp: Answer, route: &Route<'_>) -> Result<HttpResponse, ApiError> {
    let (parts, body) = resp.into_parts();
    let length = parts
        .headers
        .get(http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if length.is_some_and(|n| n <= BUFFER_ANSWERS_UP_TO) {
        let bytes = tokio::time::timeout(route.timeout, read_all(body))
            .await
            .map_err(|_| timed_out(route))??;
        return Ok(buffered_response(
            parts.status.as_u16(),
            &parts.headers,
            bytes,
        ));
    }
    let mut out = HttpResponse::build(
        actix_web::http::StatusCode::from_u16(parts.status.as_u16())
            .unwrap_or(actix_web::http::StatusCode::BAD_GATEWAY),
    );
    copy_headers(&mut out, &parts.headers);
    Ok(out.streaming(BodyDataStream::new(body).map_err(std::io::Error::other)))
}

#[cfg(test)]
mod tests {
    use super::actix_name;

    #[test]
    fn answer_header_names_convert_whether_usual_or_not() {
        for name in [
            "content-type",
            "etag",
            "date",
            "vary",
            "content-language",
            "x-kuaidi-thing",
        ] {
            let theirs = http::HeaderName::from_static(name);
            let ours = actix_name(&theirs).expect("a valid name");
            assert_eq!(ours.as_str(), name);
        }
    }
}
