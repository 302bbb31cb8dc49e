//! A way past the app for the requests a process can answer with less than the whole stack
//! (the gateway's proxied reads, SPEC §9): [`serve`](super::serve) puts a `Split` in front of
//! the actix-web app, which offers each request on the public port to the process's
//! [`Shortcut`] first. What the app's shared layers do to every answer (request id and trace
//! context, problem+json completion, security headers, CORS headers, metrics, the root span) a
//! shortcut does through its [`Envelope`], so an answer is the same whichever way it went; a
//! request any of those layers would act on (a body to inspect, an `Origin`, a dot segment, a
//! `Forwarded` header) is left to the app.

use actix_http::Request;
use actix_web::body::BoxBody;
use actix_web::dev::{
    forward_ready, AppConfig, RequestHead, Response, Service, ServiceFactory, ServiceResponse,
};
use actix_web::http::header::{self, HeaderMap, HeaderName};
use actix_web::{web, HttpResponse};
use futures_util::future::{Either, FutureExt, LocalBoxFuture, Map};
use std::rc::Rc;
use std::sync::Arc;
use std::time::Instant;
use tracing::instrument::Instrumented;
use tracing::{Instrument, Span};

use crate::http_metrics::HttpMetrics;
use crate::http_span::{self, SpanFields};
use crate::request::{self, RequestContext};

/// Answers some requests instead of the app.
pub trait Shortcut {
    /// The answer to `req`, when it is one this shortcut takes; `req` back otherwise.
    #[allow(clippy::result_large_err)] // the request goes back by value: no copy, no box
    fn take(&self, req: Request) -> Result<LocalBoxFuture<'static, Response<BoxBody>>, Request>;
}

/// Builds one worker's shortcut (none: every request goes to the app); it may register app
/// data its worker's app shares with it.
pub type MakeShortcut =
    Arc<dyn Fn(&mut web::ServiceConfig, Envelope) -> Option<Rc<dyn Shortcut>> + Send + Sync>;

/// What the app's shared layers do to an answer, for a shortcut's answers.
#[derive(Clone)]
pub struct Envelope {
    pub(super) metrics: web::Data<HttpMetrics>,
}

/// An answer begun by [`Envelope::open`].
pub struct Opened {
    pub ctx: RequestContext,
    started: Instant,
    span: Span,
}

impl Opened {
    /// `answer`, run inside the request's root span (when it is enabled). Not an `async fn`:
    /// that would hold `answer` twice (the argument and the awaited state), and a proxied
    /// request's future is moved whole when it is boxed.
    pub fn within<F: std::future::Future>(&self, answer: F) -> Either<F, Instrumented<F>> {
        if self.span.is_disabled() {
            Either::Left(answer)
        } else {
            Either::Right(answer.instrument(self.span.clone()))
        }
    }
}

/// Whether the app's shared layers would let `head` through untouched, so that a shortcut may
/// answer it: no `Origin` (CORS answers those), no `Forwarded` header and a host (see
/// [`host`]), no `.` or `..` segment, no NUL in its target. Bodies are the caller's to check.
pub fn passes(head: &RequestHead) -> bool {
    let path = head.uri.path();
    !head.headers.contains_key(header::ORIGIN)
        && !head.headers.contains_key(header::FORWARDED)
        && host(head).is_some()
        && !crate::paths::has_dot_segment(path)
        && crate::input::check_target(path, head.uri.query().unwrap_or("")).is_none()
}

/// The first value of header `name`, as actix-web's `ConnectionInfo` reads it.
fn first_value<'a>(headers: &'a HeaderMap, name: &HeaderName) -> Option<&'a str> {
    let value = headers.get(name)?.to_str().ok()?;
    Some(value.split(',').next()?.trim())
}

/// The scheme of a request [`passes`] lets through, as actix-web's `ConnectionInfo` says.
pub fn scheme(head: &RequestHead) -> &str {
    first_value(&head.headers, &header::X_FORWARDED_PROTO)
        .or_else(|| head.uri.scheme_str())
        .unwrap_or("http")
}

/// The host of a request without a `Forwarded` header, as actix-web's `ConnectionInfo` says;
/// `None` where it would fall back to the server's configured name (no `Host` header).
pub fn host(head: &RequestHead) -> Option<&str> {
    first_value(&head.headers, &header::X_FORWARDED_HOST)
        .or_else(|| head.headers.get(header::HOST)?.to_str().ok())
        .or_else(|| head.uri.authority().map(|a| a.as_str()))
}

impl Envelope {
    /// Begins an answer as the app's first layer does: the request's context, its clock and
    /// its root span.
    pub fn open(&self, head: &RequestHead) -> Opened {
        let started = Instant::now();
        let ctx = RequestContext::from_header_map(&head.headers);
        let span = http_span::new_root_span();
        if !span.is_disabled() {
            let peer = head.peer_addr.map(|a| a.ip().to_string());
            let client_ip = first_value(&head.headers, &header::X_FORWARDED_FOR)
                .or(peer.as_deref())
                .unwrap_or("");
            let fields = SpanFields {
                method: head.method.as_str(),
                route: "default",
                host: host(head).unwrap_or(""),
                client_ip,
                user_agent: http_span::user_agent(&head.headers),
                target: head.uri.path(),
            };
            http_span::record(&span, fields, &ctx.request_id);
        }
        Opened { ctx, started, span }
    }

    /// Finishes the answer to `head`, counted under `endpoint`, as the app's layers would.
    pub fn close(
        &self,
        opened: Opened,
        head: &RequestHead,
        endpoint: &str,
        mut res: HttpResponse,
    ) -> Response<BoxBody> {
        super::headers::cors_without_origin(res.headers_mut());
        super::headers::add_security_headers(res.headers_mut());
        http_span::on_end_response(opened.span, &res);
        self.metrics
            .observe_as(endpoint, head.method.as_str(), res.status(), opened.started);
        self.metrics.shortcut.inc();
        request::complete_response(res, head.uri.path(), opened.ctx).into()
    }
}

/// The app behind an optional shortcut (the management port's requests always go to the app).
pub(super) struct Split<A> {
    pub(super) app: A,
    pub(super) shortcut: Option<Rc<dyn Shortcut>>,
    pub(super) management_port: u16,
    /// Whose `X-Forwarded-For` names the caller (applied before the shortcut and the app).
    pub(super) trusted: super::client_addr::TrustedProxies,
}

impl<A> ServiceFactory<Request> for Split<A>
where
    A: ServiceFactory<
        Request,
        Config = AppConfig,
        Response = ServiceResponse<BoxBody>,
        Error = actix_web::Error,
        InitError = (),
    >,
    A::Future: 'static,
{
    type Response = Response<BoxBody>;
    type Error = actix_web::Error;
    type Config = AppConfig;
    type Service = SplitService<A::Service>;
    type InitError = ();
    type Future = LocalBoxFuture<'static, Result<Self::Service, ()>>;

    fn new_service(&self, cfg: AppConfig) -> Self::Future {
        let shortcut = (cfg.local_addr().port() != self.management_port)
            .then(|| self.shortcut.clone())
            .flatten();
        let app = self.app.new_service(cfg);
        let trusted = self.trusted.clone();
        Box::pin(async move {
            Ok(SplitService {
                app: app.await?,
                shortcut,
                trusted,
            })
        })
    }
}

pub struct SplitService<S> {
    app: S,
    shortcut: Option<Rc<dyn Shortcut>>,
    trusted: super::client_addr::TrustedProxies,
}

type ShortcutAnswer = Map<
    LocalBoxFuture<'static, Response<BoxBody>>,
    fn(Response<BoxBody>) -> Result<Response<BoxBody>, actix_web::Error>,
>;
type AppAnswer<F> = Map<
    F,
    fn(Result<ServiceResponse, actix_web::Error>) -> Result<Response<BoxBody>, actix_web::Error>,
>;

impl<S> Service<Request> for SplitService<S>
where
    S: Service<Request, Response = ServiceResponse<BoxBody>, Error = actix_web::Error>,
{
    type Response = Response<BoxBody>;
    type Error = actix_web::Error;
    type Future = Either<ShortcutAnswer, AppAnswer<S::Future>>;

    forward_ready!(app);

    fn call(&self, mut req: Request) -> Self::Future {
        self.trusted.apply(req.head_mut());
        let req = match &self.shortcut {
            Some(shortcut) => match shortcut.take(req) {
                Ok(answer) => return Either::Left(answer.map(Ok as fn(_) -> _)),
                Err(req) => req,
            },
            None => req,
        };
        let into: fn(Result<ServiceResponse, actix_web::Error>) -> _ = |r| r.map(Response::from);
        Either::Right(self.app.call(req).map(into))
    }
}
