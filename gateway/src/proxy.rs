//! The reverse proxy: routes by path prefix (SPEC §3) over a keep-alive connection pool,
//! verifies the caller's token before forwarding it (each service verifies it again), passes the
//! request id and trace context on, streams the response back, retries only idempotent methods
//! on connection failures, and answers `502`/`504` problem+json when a service is down or slow.

use actix_web::http::{header, Method};
use actix_web::{web, HttpRequest, HttpResponse};
use kuaidi_shared::auth::{bearer, JwtVerifier};
use kuaidi_shared::request::{RequestContext, REQUEST_ID, TRACEPARENT};
use kuaidi_shared::ApiError;
use std::time::Duration;

use crate::configuration::{ProxySettings, Upstreams};

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
        // Public: the tracking lookup (`/api/v1/tracking/{tn}`, not the merchants' batch) and
        // the dashboard page (it asks for a token in the browser).
        let public = *method == Method::GET
            && ((path.starts_with("/api/v1/tracking/") && !path.contains(':'))
                || *prefix == "/dashboard");
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
    )
}

/// Forwards a request to its service.
pub async fn forward(
    req: HttpRequest,
    body: web::Bytes,
    ctx: RequestContext,
    router: web::Data<Router>,
    client: web::Data<reqwest::Client>,
    verifier: web::Data<JwtVerifier>,
) -> Result<HttpResponse, ApiError> {
    let route = router
        .route(req.method(), req.path())
        .ok_or(ApiError::NotFound("route"))?;
    if !route.public {
        let token =
            bearer(&req).ok_or_else(|| ApiError::Unauthorized("bearer token required".into()))?;
        verifier.verify(token).await?;
    }
    let url = match req.uri().query() {
        Some(q) => format!("{}{}?{q}", route.upstream, req.path()),
        None => format!("{}{}", route.upstream, req.path()),
    };
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
    if let Some(peer) = req.peer_addr() {
        set("x-forwarded-for", &peer.ip().to_string());
    }
    set("x-forwarded-proto", req.connection_info().scheme());
    set("x-forwarded-host", req.connection_info().host());

    let idempotent = matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    let attempts = if idempotent { 2 } else { 1 };
    let mut last_err = None;
    for attempt in 0..attempts {
        let sent = client
            .request(method.clone(), &url)
            .headers(headers.clone())
            .timeout(route.timeout)
            .body(body.clone())
            .send()
            .await;
        match sent {
            Ok(resp) => return Ok(relay_response(resp)),
            Err(e) if e.is_timeout() => {
                tracing::warn!(upstream = %route.upstream, error = %e, "upstream timed out");
                return Err(ApiError::GatewayTimeout(format!(
                    "the service did not answer within {} ms",
                    route.timeout.as_millis()
                )));
            }
            Err(e) => {
                tracing::warn!(upstream = %route.upstream, attempt, error = %e, "upstream unreachable");
                last_err = Some(e);
            }
        }
    }
    let _ = last_err;
    Err(ApiError::BadGateway("the service is unavailable".into()))
}

fn relay_response(resp: reqwest::Response) -> HttpResponse {
    let status = actix_web::http::StatusCode::from_u16(resp.status().as_u16())
        .unwrap_or(actix_web::http::StatusCode::BAD_GATEWAY);
    let mut out = HttpResponse::build(status);
    for (name, value) in resp.headers() {
        let name = header::HeaderName::from_bytes(name.as_str().as_bytes());
        if let Ok(name) = name {
            if !is_hop_by_hop(&name) {
                if let Ok(v) = header::HeaderValue::from_bytes(value.as_bytes()) {
                    out.append_header((name, v));
                }
            }
        }
    }
    out.streaming(resp.bytes_stream())
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
        assert_eq!(up(Method::GET, "/api/v2/customers"), None);
    }

    #[test]
    fn only_tracking_lookups_and_the_dashboard_are_public() {
        let r = router();
        let public = |m: Method, p: &str| r.route(&m, p).is_some_and(|r| r.public);
        assert!(public(Method::GET, "/api/v1/tracking/KD123"));
        assert!(public(Method::GET, "/dashboard"));
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
