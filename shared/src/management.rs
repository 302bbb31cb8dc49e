//! The management port (SPEC §2): Prometheus `/metrics` is answered there and only there; the
//! public port never serves it, and the management port serves nothing else.

use actix_web::dev::ServiceRequest;
use actix_web::{web, HttpResponse};
use prometheus::{Encoder, Registry, TextEncoder};

use crate::settings::HttpSettings;

/// The management listener of a process, as app data.
#[derive(Clone)]
pub struct Management {
    pub port: u16,
    pub registry: Registry,
}

/// The management port of `name` unless configured (`http.metrics_port`): gateway 9080,
/// customers 9081, shipments 9082, complaints 9083, analytics 9084; an ephemeral main port
/// (0, tests) gets an ephemeral management port.
pub fn metrics_port(name: &str, http: &HttpSettings) -> u16 {
    if let Some(port) = http.metrics_port {
        return port;
    }
    if http.port == 0 {
        return 0;
    }
    match name {
        "gateway" => 9080,
        "customers" => 9081,
        "shipments" => 9082,
        "complaints" => 9083,
        "analytics" => 9084,
        _ => 0,
    }
}

/// On the management port, the answer: `GET /metrics`, and 404 to anything else; `None` on the
/// public port, where the request goes on (no route serves `/metrics` there).
pub fn answer(req: &ServiceRequest) -> Option<HttpResponse> {
    let mgmt = req
        .app_data::<web::Data<Management>>()
        .filter(|m| req.app_config().local_addr().port() == m.port)?;
    if req.path() != "/metrics" {
        return Some(HttpResponse::NotFound().finish());
    }
    let mut text = Vec::new();
    Some(
        match TextEncoder::new().encode(&mgmt.registry.gather(), &mut text) {
            Ok(()) => HttpResponse::Ok()
                .content_type(prometheus::TEXT_FORMAT)
                .body(text),
            Err(e) => HttpResponse::InternalServerError().body(e.to_string()),
        },
    )
}
