//! The first layer every request passes: its [`RequestContext`] (the request id and trace
//! context, echoed on the answer; problem+json bodies completed with `instance` and
//! `request_id`), its root span (built only when enabled, see [`crate::http_span`]) and its
//! metrics ([`HttpMetrics`]).
//!
//! One hand-written layer with one boxed future per request, where two `from_fn` layers and
//! tracing-actix-web's logger (which also generated a second request id per request and
//! instrumented every request with its span disabled) cost 3 % more CPU on a cached public
//! tracking answer (SPEC §9; `perf stat` on the shipments service under `wrk`, A/B).

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{forward_ready, Service, ServiceRequest, ServiceResponse, Transform};
use actix_web::{web, HttpMessage};
use futures_util::future::LocalBoxFuture;
use std::future::{ready, Ready};
use std::rc::Rc;
use std::time::Instant;
use tracing::Instrument;

use crate::http_metrics::HttpMetrics;
use crate::request::{self, RequestContext};

/// The middleware; the outermost `wrap` of every process's app.
pub struct Front;

impl<S, B> Transform<S, ServiceRequest> for Front
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = actix_web::Error> + 'static,
    B: MessageBody + 'static,
{
    type Response = ServiceResponse<BoxBody>;
    type Error = actix_web::Error;
    type Transform = FrontService<S>;
    type InitError = ();
    type Future = Ready<Result<Self::Transform, Self::InitError>>;

    fn new_transform(&self, service: S) -> Self::Future {
        ready(Ok(FrontService {
            service: Rc::new(service),
        }))
    }
}

pub struct FrontService<S> {
    service: Rc<S>,
}

impl<S, B> Service<ServiceRequest> for FrontService<S>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = actix_web::Error> + 'static,
    B: MessageBody + 'static,
{
    type Response = ServiceResponse<BoxBody>;
    type Error = actix_web::Error;
    type Future = LocalBoxFuture<'static, Result<Self::Response, Self::Error>>;

    forward_ready!(service);

    fn call(&self, req: ServiceRequest) -> Self::Future {
        let started = Instant::now();
        let ctx = RequestContext::from_headers(req.request());
        let span = crate::http_span::root_span(&req, &ctx.request_id);
        let metrics = req.app_data::<web::Data<HttpMetrics>>().cloned();
        req.extensions_mut().insert(ctx);
        let answer = self.service.call(req);
        Box::pin(async move {
            let outcome = if span.is_disabled() {
                answer.await
            } else {
                answer.instrument(span.clone()).await
            };
            crate::http_span::on_end(span, &outcome);
            let res = outcome?;
            if let Some(m) = metrics {
                m.observe(&res, started);
            }
            Ok(request::complete(res))
        })
    }
}
