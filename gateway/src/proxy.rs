//! The reverse proxy: routes by path prefix (SPEC §3) over a keep-alive connection pool,
//! verifies the caller's token before forwarding it (each service verifies it again), passes the
//! request id and trace context on, streams the response back, retries only idempotent methods
//! on connection failures, and answers `502`/`504` problem+json when a service is down or slow.

use actix_web::http::{header, Method};
use actix_web::{web, HttpRequest, HttpResponse};
use kuaidi_shared::db::PgPool;
use kuaidi_shared::http::PII_AUDIT_HEADER;
use kuaidi_shared::request::{RequestContext, REQUEST_ID, TRACEPARENT};
use kuaidi_shared::ApiError;
use std::time::Duration;

use crate::audit::{self, Audit};
use crate::configuration::{GatewaySettings, ProxySettings, Upstreams};
use crate::edge::{Caller, Edge};
use crate::idempotency::{self, Begin};
use crate::ratelimit::{Decision, Limiter};

/// Which service answers a path, and how long it may take.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    pub upstream: String,
    pub timeout: Duration,
    /// Reachable without a token (public tracking, the dashboard page).
    pub public: bool,
}

/// The routing table of SPEC §3.
pub struct Router {
    table: Vec<(&'static str, String)>,
    timeout: Duration,
    bulk_timeout: Duration,
}

impl Router {
    pub fn new(upstreams: &Upstreams, proxy: &ProxySettings) -> Self {
        let u = upstreams;
        let table = vec![
            ("/api/v1/customers", u.customers.clone()),
            ("/api/v1/follow-ups", u.customers.clone()),
            ("/api/v1/shipments", u.shipments.clone()),
            ("/api/v1/tracking", u.shipments.clone()),
            ("/api/v1/webhooks", u.shipments.clone()),
            ("/api/v1/complaints", u.complaints.clone()),
            ("/api/v1/claims", u.complaints.clone()),
            ("/api/v1/sla-policies", u.complaints.clone()),
            ("/api/v1/improvement-actions", u.complaints.clone()),
            ("/api/v1/surveys", u.complaints.clone()),
            ("/api/v1/analytics", u.analytics.clone()),
            ("/dashboard", u.analytics.clone()),
        ];
        Self {
            table,
            timeout: Duration::from_millis(proxy.timeout_ms),
            bulk_timeout: Duration::from_millis(proxy.bulk_timeout_ms),
        }
    }

    /// The route for `method path`, if any service serves it.
    pub fn route(&self, method: &Method, path: &str) -> Option<Route> {
        // NOTE: SPEC §3 routes `/api/v1/tracking*` — a plain prefix, so
        // `/api/v1/tracking-events:batch` goes to shipments too.
        let (prefix, upstream) = self
            .table
            .iter()
            .find(|(prefix, _)| path.starts_with(prefix))?;
        let bulk = path.ends_with(":batch") || path.starts_with("/api/v1/analytics/export");
        // Public: the tracking lookup (`/api/v1/tracking/{tn}`, not the merchants' batch), the
        // dashboard and its assets (it asks for a token in the browser), and the signed
        // one-time survey links (read and answered without an account).
        let public = match *method {
            Method::GET => {
                (path.starts_with("/api/v1/tracking/") && !path.contains(':'))
                    || *prefix == "/dashboard"
                    || *prefix == "/api/v1/surveys"
            }
            Method::POST => *prefix == "/api/v1/surveys",
            _ => false,
        };
        Some(Route {
            upstream: upstream.clone(),
            timeout: if bulk {
                self.bulk_timeout
            } else {
                self.timeout
            },
            public,
        })
    }
}

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

/// The gateway's limits, shared by all workers.
pub struct Limits {
    pub per_principal: Limiter,
    pub public_per_ip: Limiter,
}

/// A request body on its way upstream: small or idempotency-keyed bodies are read first (they
/// can be fingerprinted and retried); larger ones stream through without being held.
pub enum Body {
    Buffered(web::Bytes),
    Streaming(reqwest::Body),
}

/// Bodies up to this size are read before forwarding.
const BUFFER_UP_TO: usize = 64 * 1024;

fn too_large(max: usize) -> ApiError {
    ApiError::BadRequest(format!("request body larger than {max} bytes"))
}

/// Reads the whole body (at most `max` bytes).
async fn read_all(mut payload: web::Payload, max: usize) -> Result<web::Bytes, ApiError> {
    use futures_util::StreamExt;
    let mut buf = web::BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|e| ApiError::BadRequest(format!("reading the body: {e}")))?;
        if buf.len() + chunk.len() > max {
            return Err(too_large(max));
        }
        buf.extend_from_slice(&chunk);
    }
    Ok(buf.freeze())
}

/// Streams the body upstream through a channel (the actix payload stays on its worker), cut
/// off with an error past `max` bytes.
fn stream(mut payload: web::Payload, max: usize) -> reqwest::Body {
    use futures_util::StreamExt;
    let (tx, rx) = tokio::sync::mpsc::channel::<Result<web::Bytes, std::io::Error>>(8);
    actix_web::rt::spawn(async move {
        let mut seen = 0usize;
        while let Some(chunk) = payload.next().await {
            let item = match chunk {
                Ok(c) => {
                    seen += c.len();
                    if seen > max {
                        Err(std::io::Error::other("request body too large"))
                    } else {
                        Ok(c)
                    }
                }
                Err(e) => Err(std::io::Error::other(e.to_string())),
            };
            let stop = item.is_err();
            if tx.send(item).await.is_err() || stop {
                break;
            }
        }
    });
    reqwest::Body::wrap_stream(futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|item| (item, rx))
    }))
}

/// Forwards a request to its service.
#[allow(clippy::too_many_arguments)]
pub async fn forward(
    req: HttpRequest,
    payload: web::Payload,
    ctx: RequestContext,
    router: web::Data<Router>,
    client: web::Data<reqwest::Client>,
    edge: web::Data<Edge>,
    limits: web::Data<Limits>,
    pool: web::Data<PgPool>,
    settings: web::Data<GatewaySettings>,
) -> Result<HttpResponse, ApiError> {
    let route = router
        .route(req.method(), req.path())
        .ok_or(ApiError::NotFound("route"))?;
    let caller = edge.resolve(&req).await?;
    if let Some(key) = caller.as_ref().and_then(|c| c.exchanged_key) {
        let who = caller
            .as_ref()
            .map(|c| c.principal.clone())
            .ok_or(ApiError::Unauthorized("invalid API key".into()))?;
        audit::record(
            &pool,
            &ctx,
            audit::client_ip(&req),
            Audit::by(&who, "auth.api_key", Some(key.to_string())),
        )
        .await;
    }
    let decision = match (&caller, route.public) {
        (Some(c), _) => limits.per_principal.check(&c.principal.sub),
        (None, true) => limits
            .public_per_ip
            .check(&audit::client_ip(&req).unwrap_or_default()),
        (None, false) => {
            return Err(ApiError::Unauthorized(
                "bearer token or API key required".into(),
            ))
        }
    };
    if let Decision::Refused {
        limit,
        retry_after_secs,
    } = decision
    {
        return Err(ApiError::TooManyRequests {
            retry_after_secs,
            limit,
        });
    }
    // Errors too carry the rate-limit headers; `from_error` keeps the problem's details.
    let max = settings.proxy.max_body_bytes;
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    let keyed = req.headers().contains_key("idempotency-key");
    let body = match declared {
        Some(n) if n > max => return Err(too_large(max)),
        Some(n) if n <= BUFFER_UP_TO => Body::Buffered(read_all(payload, max).await?),
        None if !req.headers().contains_key(header::TRANSFER_ENCODING) => {
            Body::Buffered(web::Bytes::new())
        }
        _ if keyed => Body::Buffered(read_all(payload, max).await?),
        _ => Body::Streaming(stream(payload, max)),
    };
    let resp = match relay(&req, body, &ctx, &route, caller.as_ref(), &client, &pool).await {
        Ok(resp) => resp,
        Err(e) => HttpResponse::from_error(e),
    };
    Ok(with_headers(resp, &decision))
}

/// Forwards an authorised request, with idempotency and PII auditing.
async fn relay(
    req: &HttpRequest,
    body: Body,
    ctx: &RequestContext,
    route: &Route,
    caller: Option<&Caller>,
    client: &reqwest::Client,
    pool: &PgPool,
) -> Result<HttpResponse, ApiError> {
    let idempotency = match (req.method(), req.headers().get("idempotency-key"), caller) {
        (&Method::POST, Some(key), Some(c)) => {
            let key = idempotency::parse_key(key.to_str().unwrap_or(""))?;
            let path = req
                .uri()
                .path_and_query()
                .map(|p| p.as_str())
                .unwrap_or(req.path());
            let Body::Buffered(bytes) = &body else {
                return Err(ApiError::Internal(anyhow::anyhow!(
                    "keyed bodies are buffered"
                )));
            };
            let hash = idempotency::fingerprint("POST", path, bytes);
            match idempotency::begin(pool, c.principal.sub.clone(), key.clone(), hash).await? {
                Begin::Replay(resp) => return Ok(resp),
                Begin::Proceed => Some((c.principal.sub.clone(), key)),
            }
        }
        _ => None,
    };
    let url = match req.uri().query() {
        Some(q) => format!("{}{}?{q}", route.upstream, req.path()),
        None => format!("{}{}", route.upstream, req.path()),
    };
    let sent = send(
        req,
        ctx,
        client,
        route,
        &url,
        caller.map(|c| c.token.as_str()),
        body,
    )
    .await;
    let resp = match sent {
        Ok(resp) => resp,
        Err(e) => {
            if let Some((who, key)) = idempotency {
                idempotency::abandon(pool, who, key).await;
            }
            return Err(e);
        }
    };
    if let (Some(target), Some(c)) = (resp.headers().get(PII_AUDIT_HEADER), caller) {
        let target = target.to_str().unwrap_or_default().to_owned();
        audit::record(
            pool,
            ctx,
            audit::client_ip(req),
            Audit::by(&c.principal, "pii.read", Some(target)),
        )
        .await;
    }
    let out = match idempotency {
        None => relay_response(resp).await?,
        Some((who, key)) => {
            let status = resp.status().as_u16();
            let mut kept = serde_json::Map::new();
            for name in idempotency::KEPT_HEADERS {
                if let Some(v) = resp.headers().get(name).and_then(|v| v.to_str().ok()) {
                    kept.insert(name.to_owned(), v.into());
                }
            }
            let headers = resp.headers().clone();
            let bytes = resp
                .bytes()
                .await
                .map_err(|_| ApiError::BadGateway("the service's answer was cut off".into()))?;
            if status >= 500 {
                idempotency::abandon(pool, who, key).await;
            } else {
                idempotency::finish(
                    pool,
                    who,
                    key,
                    status,
                    serde_json::Value::Object(kept),
                    bytes.to_vec(),
                )
                .await?;
            }
            buffered_response(status, &headers, bytes)
        }
    };
    Ok(out)
}

fn with_headers(mut resp: HttpResponse, decision: &Decision) -> HttpResponse {
    for (name, value) in decision.headers() {
        if let Ok(v) = header::HeaderValue::from_str(&value) {
            resp.headers_mut()
                .insert(header::HeaderName::from_static(name), v);
        }
    }
    resp
}

/// Sends the request upstream; idempotent methods are retried once on a connection failure.
async fn send(
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

fn buffered_response(
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
async fn relay_response(resp: reqwest::Response) -> Result<HttpResponse, ApiError> {
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

#[cfg(test)]
mod tests {
    use super::*;

    fn router() -> Router {
        Router::new(
            &Upstreams {
                customers: "c".into(),
                shipments: "s".into(),
                complaints: "k".into(),
                analytics: "a".into(),
            },
            &ProxySettings {
                connect_timeout_ms: 1,
                timeout_ms: 10,
                bulk_timeout_ms: 60,
                max_body_bytes: 1,
            },
        )
    }

    #[test]
    fn paths_route_to_their_service_by_prefix() {
        let r = router();
        let up = |m: Method, p: &str| r.route(&m, p).map(|r| r.upstream);
        assert_eq!(up(Method::GET, "/api/v1/customers/1"), Some("c".into()));
        assert_eq!(up(Method::GET, "/api/v1/follow-ups"), Some("c".into()));
        assert_eq!(
            up(Method::POST, "/api/v1/tracking-events:batch"),
            Some("s".into())
        );
        assert_eq!(
            up(Method::POST, "/api/v1/tracking:batch-get"),
            Some("s".into())
        );
        assert_eq!(
            up(Method::POST, "/api/v1/webhooks/1:test"),
            Some("s".into())
        );
        assert_eq!(up(Method::PUT, "/api/v1/sla-policies"), Some("k".into()));
        assert_eq!(
            up(Method::GET, "/api/v1/improvement-actions"),
            Some("k".into())
        );
        assert_eq!(
            up(Method::GET, "/api/v1/claims?overdue=true"),
            Some("k".into())
        );
        assert_eq!(up(Method::GET, "/dashboard"), Some("a".into()));
        assert_eq!(up(Method::GET, "/dashboard/app.js"), Some("a".into()));
        assert_eq!(
            up(Method::GET, "/dashboard/vendor/chart.umd.js"),
            Some("a".into())
        );
        assert_eq!(up(Method::GET, "/api/v1/surveys/abc"), Some("k".into()));
        assert_eq!(up(Method::POST, "/api/v1/surveys/abc"), Some("k".into()));
        assert_eq!(up(Method::GET, "/api/v2/customers"), None);
    }

    #[test]
    fn only_tracking_lookups_the_dashboard_and_survey_links_are_public() {
        let r = router();
        let public = |m: Method, p: &str| r.route(&m, p).is_some_and(|r| r.public);
        assert!(public(Method::GET, "/api/v1/tracking/KD123"));
        assert!(public(Method::GET, "/dashboard"));
        assert!(public(Method::GET, "/dashboard/app.js"));
        assert!(public(Method::GET, "/dashboard/vendor/chart.umd.js"));
        assert!(public(Method::GET, "/api/v1/surveys/tok3n"));
        assert!(public(Method::POST, "/api/v1/surveys/tok3n"));
        assert!(!public(Method::POST, "/dashboard"));
        assert!(!public(Method::DELETE, "/api/v1/surveys/tok3n"));
        assert!(!public(Method::POST, "/api/v1/complaints/1/survey"));
        assert!(!public(Method::POST, "/api/v1/tracking:batch-get"));
        assert!(!public(Method::GET, "/api/v1/tracking"));
        assert!(!public(Method::GET, "/api/v1/shipments/KD123"));
        assert!(!public(Method::POST, "/api/v1/tracking/KD123"));
    }

    #[test]
    fn batch_routes_get_the_bulk_timeout() {
        let r = router();
        let t = |p: &str| r.route(&Method::POST, p).map(|r| r.timeout);
        assert_eq!(t("/api/v1/shipments"), Some(Duration::from_millis(10)));
        assert_eq!(
            t("/api/v1/tracking-events:batch"),
            Some(Duration::from_millis(60))
        );
    }
}
