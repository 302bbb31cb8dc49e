//! The reverse proxy: routes by path prefix (SPEC §3, [`routing`]) over each worker's
//! keep-alive connections (`pool`), verifies the caller's token before forwarding it (each
//! service verifies it again), rate-limits, replays idempotency-keyed POSTs, audits unmasked PII
//! reads and the changes of [`audited`], and relays the answer ([`upstream`]); bodies are
//! buffered or streamed by [`body`].
//! Requests arrive through the app ([`forward`]) or, bodiless reads, past it ([`shortcut`]);
//! both are [`Proxy::handle`]d the same way.

mod audited;
pub mod body;
mod pool;
pub mod routing;
pub mod shortcut;
pub mod upstream;

use actix_web::dev::{Payload, RequestHead};
use actix_web::http::Method;
use actix_web::{web, HttpMessage, HttpRequest, HttpResponse};
use kuaidi_shared::http::PII_AUDIT_HEADER;
use kuaidi_shared::request::RequestContext;
use kuaidi_shared::ApiError;

use crate::audit::{Audit, Auditor};
use crate::edge::{Caller, Edge};
use crate::idempotency::{self, Begin};
use crate::ratelimit::{Decision, Limiter};
use body::Body;
pub use routing::{Route, Router};

/// The gateway's limits, shared by all workers.
pub struct Limits {
    pub per_principal: Limiter,
    pub public_per_ip: Limiter,
}

/// What forwarding needs besides the worker's upstream client.
pub struct Proxy {
    pub router: Router,
    pub edge: web::Data<Edge>,
    pub limits: Limits,
    pub auditor: Auditor,
    pub max_body: usize,
    /// Seals the answers kept for idempotency replays.
    pub pii: std::sync::Arc<kuaidi_shared::crypto::PiiCipher>,
}

/// Forwards a request to its service (the app's way; see [`shortcut`] for the other).
pub async fn forward(
    req: HttpRequest,
    payload: web::Payload,
    ctx: RequestContext,
    proxy: web::Data<Proxy>,
    client: web::Data<upstream::Client>,
) -> Result<HttpResponse, ApiError> {
    let route = proxy
        .router
        .route(req.method(), req.path())
        .ok_or(ApiError::NotFound("route"))?;
    req.extensions_mut()
        .insert(kuaidi_shared::http_metrics::Endpoint(route.prefix));
    let info = req.connection_info().clone();
    let inbound = Inbound {
        head: req.head(),
        scheme: info.scheme(),
        host: info.host(),
    };
    proxy
        .handle(&client, &inbound, &route, payload.into_inner(), &ctx)
        .await
}

/// What the proxy reads of a request, whichever way it came in.
pub struct Inbound<'a> {
    pub head: &'a RequestHead,
    /// The scheme and host the caller used, as actix-web's `ConnectionInfo` says.
    pub scheme: &'a str,
    pub host: &'a str,
}

impl Proxy {
    /// Authorises a request on `route`, limits it, and forwards it.
    async fn handle(
        &self,
        client: &upstream::Client,
        req: &Inbound<'_>,
        route: &Route<'_>,
        payload: Payload,
        ctx: &RequestContext,
    ) -> Result<HttpResponse, ApiError> {
        let peer = req.head.peer_addr;
        let caller = self.edge.resolve(&req.head.headers).await;
        if let (Err(ApiError::Unauthorized(_)), Some(key)) =
            (&caller, req.head.headers.get("x-api-key"))
        {
            // A refused API key is an authentication too; its first characters (the shown
            // `prefix` of a real key) say which, never the key.
            let shown: String = key.to_str().unwrap_or("").chars().take(12).collect();
            let entry = Audit::failure("auth.api_key", serde_json::json!({"prefix": shown}));
            self.auditor.record_for(peer, ctx, entry).await;
        }
        let caller = caller?;
        if let Some(entry) = caller.as_ref().and_then(Caller::key_exchange) {
            self.auditor.record_for(peer, ctx, entry).await;
        }
        let decision = match (&caller, route.public) {
            (Some(c), _) => self.limits.per_principal.check(&c.principal.sub),
            (None, true) => self
                .limits
                .public_per_ip
                .check_with(|| crate::ratelimit::address_key(peer)),
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
        let body = body::read(req.head, payload, self.max_body).await?;
        let call = Call {
            req,
            ctx,
            route,
            caller: caller.as_ref(),
        };
        // Errors too carry the rate-limit headers; `from_error` keeps the problem's details.
        let resp = match relay(self, client, call, body).await {
            Ok(resp) => resp,
            Err(e) => HttpResponse::from_error(e),
        };
        Ok(with_headers(resp, &decision))
    }
}

/// One authorised request on its way.
#[derive(Clone, Copy)]
struct Call<'a> {
    req: &'a Inbound<'a>,
    ctx: &'a RequestContext,
    route: &'a Route<'a>,
    caller: Option<&'a Caller<'a>>,
}

/// Forwards an authorised request, with idempotency and PII auditing.
async fn relay(
    proxy: &Proxy,
    client: &upstream::Client,
    call: Call<'_>,
    body: Body,
) -> Result<HttpResponse, ApiError> {
    let req = call.req;
    let uri = upstream::uri(req.head)?;
    let pool = proxy.auditor.pool();
    let keyed = match idempotency_key(call, &body)? {
        Some((who, key, hash)) => {
            match idempotency::begin(pool, &proxy.pii, who.clone(), key.clone(), hash).await? {
                Begin::Replay(mut resp) => {
                    let target = resp.headers_mut().remove(PII_AUDIT_HEADER).next();
                    if let (Some(target), Some(c)) = (target, call.caller) {
                        audit_pii_read(proxy, call, c, &target).await;
                    }
                    return Ok(resp);
                }
                Begin::Proceed => Some((who, key)),
            }
        }
        None => None,
    };
    let token = call.caller.map(|c| &*c.token);
    let resp = match upstream::send(req, call.ctx, client, call.route, uri, token, body).await {
        Ok(resp) => resp,
        Err(e) => {
            if let Some((who, key)) = keyed {
                idempotency::abandon(pool, who, key).await;
            }
            return Err(e);
        }
    };
    if let (Some(target), Some(c)) = (resp.headers().get(PII_AUDIT_HEADER), call.caller) {
        audit_pii_read(proxy, call, c, target).await;
    }
    // With the query: a merge's `dry_run=true` changes nothing and is not audited as a merge.
    let target = (req.head.uri.path_and_query()).map_or(req.head.uri.path(), |p| p.as_str());
    let change = audited::change(&req.head.method, target);
    if let (Some((action, target)), Some(c), true) =
        (change, call.caller, resp.status().is_success())
    {
        let entry = Audit::by(&c.principal, action, Some(target));
        let peer = req.head.peer_addr;
        proxy.auditor.record_for(peer, call.ctx, entry).await;
    }
    match keyed {
        None => upstream::relay_response(resp, call.route).await,
        Some((who, key)) => idempotency::keep(pool, &proxy.pii, who, key, resp).await,
    }
}

/// Writes the `pii.read` audit row of an answer a service flagged as showing PII unmasked.
async fn audit_pii_read<V: AsRef<[u8]>>(
    proxy: &Proxy,
    call: Call<'_>,
    caller: &Caller<'_>,
    target: &V,
) {
    let target = String::from_utf8_lossy(target.as_ref()).into_owned();
    let entry = Audit::by(&caller.principal, "pii.read", Some(target));
    proxy
        .auditor
        .record_for(call.req.head.peer_addr, call.ctx, entry)
        .await;
}

/// `(principal, key, fingerprint)` of an idempotency-keyed POST by a known caller.
fn idempotency_key(
    call: Call<'_>,
    body: &Body,
) -> Result<Option<(String, String, String)>, ApiError> {
    let head = call.req.head;
    let (&Method::POST, Some(key), Some(c)) = (
        &head.method,
        head.headers.get("idempotency-key"),
        call.caller,
    ) else {
        return Ok(None);
    };
    let key = idempotency::parse_key(key.to_str().unwrap_or(""))?;
    let path = head
        .uri
        .path_and_query()
        .map(|p| p.as_str())
        .unwrap_or(head.uri.path());
    let Body::Buffered(bytes) = body else {
        return Err(ApiError::Internal(anyhow::anyhow!(
            "keyed bodies are buffered"
        )));
    };
    let content_type = head
        .headers
        .get(actix_web::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok());
    let hash = idempotency::fingerprint("POST", path, content_type, bytes);
    Ok(Some((c.principal.sub.clone(), key, hash)))
}

fn with_headers(mut resp: HttpResponse, decision: &Decision) -> HttpResponse {
    decision.set_headers(resp.headers_mut());
    resp
}
