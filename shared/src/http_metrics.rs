//! Request metrics of every process, served on its management port: `kuaidi_http_http_requests_total`
//! and `kuaidi_http_http_requests_duration_seconds` by `endpoint` (the route pattern), `method`
//! and `status`, with the constant label `service`; and `kuaidi_http_shortcut_answers_total`, the
//! requests answered past the app ([`crate::app::shortcut`]).
//!
//! Written for the hot path (SPEC §9): the pattern is the one routing already found (no second
//! walk of the route table, no formatting), and a request no route matched is counted under
//! [`Endpoint`] when its handler named one (the gateway's proxy: the routed prefix) or under
//! `default` — never under its raw path, which would make one series per tracking number.

use actix_web::body::MessageBody;
use actix_web::dev::ServiceResponse;
use actix_web::HttpMessage;
use prometheus::{HistogramOpts, HistogramVec, IntCounter, IntCounterVec, Opts, Registry};
use std::collections::HashMap;
use std::time::Instant;

/// The endpoint label of a request served by a default service (set by its handler).
#[derive(Debug, Clone, Copy)]
pub struct Endpoint(pub &'static str);

/// The label of requests no route matched and no handler named.
const UNMATCHED: &str = "default";

/// The two request metrics of a process.
#[derive(Clone)]
pub struct HttpMetrics {
    total: IntCounterVec,
    duration: HistogramVec,
    /// Requests a shortcut answered (also counted in `total`).
    pub(crate) shortcut: IntCounter,
}

impl HttpMetrics {
    /// Creates the metrics of `service` in `registry`.
    pub fn register(registry: &Registry, service: &str) -> prometheus::Result<Self> {
        let labels = HashMap::from([("service".to_owned(), service.to_owned())]);
        let names = ["endpoint", "method", "status"];
        let total = IntCounterVec::new(
            Opts::new("http_requests_total", "Total number of HTTP requests")
                .namespace("kuaidi_http")
                .const_labels(labels.clone()),
            &names,
        )?;
        let duration = HistogramVec::new(
            HistogramOpts::new(
                "http_requests_duration_seconds",
                "HTTP request duration in seconds for all requests",
            )
            .namespace("kuaidi_http")
            .const_labels(labels),
            &names,
        )?;
        let shortcut = IntCounter::with_opts(
            Opts::new(
                "shortcut_answers_total",
                "Requests answered past the app, by the process's shortcut",
            )
            .namespace("kuaidi_http")
            .const_labels(HashMap::from([("service".to_owned(), service.to_owned())])),
        )?;
        registry.register(Box::new(total.clone()))?;
        registry.register(Box::new(duration.clone()))?;
        registry.register(Box::new(shortcut.clone()))?;
        Ok(Self {
            total,
            duration,
            shortcut,
        })
    }

    /// Counts and times one answered request (called by [`crate::http_front::Front`]).
    pub(crate) fn observe(&self, res: &ServiceResponse<impl MessageBody>, started: Instant) {
        let req = res.request();
        let pattern = req.match_pattern();
        let named = req.extensions().get::<Endpoint>().copied();
        let endpoint = match (&pattern, named) {
            (Some(p), _) => p.as_str(),
            (None, Some(Endpoint(e))) => e,
            (None, None) => UNMATCHED,
        };
        self.observe_as(endpoint, req.method().as_str(), res.status(), started);
    }

    /// Counts an answer of `status` to `method` on `endpoint`, begun at `started`.
    pub(crate) fn observe_as(
        &self,
        endpoint: &str,
        method: &str,
        status: actix_web::http::StatusCode,
        started: Instant,
    ) {
        let labels = [endpoint, method, status.as_str()];
        self.duration
            .with_label_values(&labels)
            .observe(started.elapsed().as_secs_f64());
        self.total.with_label_values(&labels).inc();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::{test, web, App, HttpResponse};

    #[actix_web::test]
    async fn requests_are_counted_by_route_pattern_and_unmatched_ones_by_their_named_endpoint() {
        let registry = Registry::new();
        let metrics = web::Data::new(HttpMetrics::register(&registry, "svc").expect("registers"));
        let app = test::init_service(
            App::new()
                .wrap(crate::http_front::Front)
                .app_data(metrics)
                .route("/items/{id}", web::get().to(HttpResponse::Ok))
                .default_service(web::to(|req: actix_web::HttpRequest| async move {
                    if req.path().starts_with("/proxied") {
                        req.extensions_mut().insert(Endpoint("/proxied"));
                    }
                    HttpResponse::NotFound().finish()
                })),
        )
        .await;
        for path in [
            "/items/1",
            "/items/2",
            "/proxied/KD1",
            "/proxied/KD2",
            "/nothing/KD3",
        ] {
            test::call_service(&app, test::TestRequest::get().uri(path).to_request()).await;
        }
        let mut text = String::new();
        for family in registry.gather() {
            for m in family.get_metric() {
                let labels: Vec<String> = m
                    .get_label()
                    .iter()
                    .map(|l| format!("{}={}", l.name(), l.value()))
                    .collect();
                if family.name() == "kuaidi_http_http_requests_total" {
                    text.push_str(&format!(
                        "{} {}\n",
                        labels.join(","),
                        m.get_counter().get_value()
                    ));
                }
            }
        }
        assert!(
            text.contains("endpoint=/items/{id},method=GET,service=svc,status=200 2"),
            "{text}"
        );
        assert!(
            text.contains("endpoint=/proxied,method=GET,service=svc,status=404 2"),
            "{text}"
        );
        assert!(
            text.contains("endpoint=default,method=GET,service=svc,status=404 1"),
            "{text}"
        );
        assert!(!text.contains("KD"), "no raw path is a label: {text}");
    }
}
