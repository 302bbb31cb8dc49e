//! The proxy's way past the app (SPEC §9: a gateway hop no dearer than nginx's): a read with
//! no body on a proxied path — public tracking, an authenticated `GET` — is answered straight
//! from the HTTP server's request, without actix-web's request object, extractors and
//! middleware futures. Authorisation, limits, forwarding and relaying are the app's way's own
//! ([`Proxy::handle`]); what the app's shared layers add to every answer, the [`Envelope`]
//! adds. Anything else (a body, an `Origin`, an odd path, the gateway's own routes) goes the
//! app's way.

use actix_http::Request;
use actix_web::body::BoxBody;
use actix_web::dev::{Payload, RequestHead, Response};
use actix_web::http::{header, Method};
use actix_web::{web, HttpResponse};
use futures_util::future::LocalBoxFuture;
use kuaidi_shared::app::shortcut::{self, Envelope, Shortcut};
use kuaidi_shared::ApiError;

use super::{upstream, Inbound, Proxy};

/// One worker's shortcut; it shares the worker's upstream pool with the app's way.
pub struct Reads {
    pub proxy: web::Data<Proxy>,
    pub client: upstream::Client,
    pub envelope: Envelope,
}

/// A read with no body: `GET` or `HEAD`, no length but zero, no transfer coding.
fn bodiless_read(head: &RequestHead) -> bool {
    matches!(head.method, Method::GET | Method::HEAD)
        && !head.headers.contains_key(header::TRANSFER_ENCODING)
        && head
            .headers
            .get(header::CONTENT_LENGTH)
            .is_none_or(|v| v.as_bytes() == b"0")
}

impl Shortcut for Reads {
    fn take(&self, req: Request) -> Result<LocalBoxFuture<'static, Response<BoxBody>>, Request> {
        let head = req.head();
        let proxied = self
            .proxy
            .router
            .route(&head.method, head.uri.path())
            .is_some();
        if !(proxied && bodiless_read(head) && shortcut::passes(head)) {
            return Err(req);
        }
        let opened = self.envelope.open(head);
        let (proxy, client, envelope) = (
            self.proxy.clone(),
            self.client.clone(),
            self.envelope.clone(),
        );
        Ok(Box::pin(async move {
            let head = req.head();
            let Some(route) = proxy.router.route(&head.method, head.uri.path()) else {
                let missing = HttpResponse::from_error(ApiError::NotFound("route"));
                return envelope.close(opened, head, "default", missing);
            };
            let inbound = Inbound {
                head,
                scheme: shortcut::scheme(head),
                host: shortcut::host(head).unwrap_or_default(),
            };
            let answer = proxy.handle(&client, &inbound, &route, Payload::None, &opened.ctx);
            let res = opened
                .within(answer)
                .await
                .unwrap_or_else(HttpResponse::from_error);
            envelope.close(opened, head, route.prefix, res)
        }))
    }
}
