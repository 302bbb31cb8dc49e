//! `/healthz` (the process is up) and `/readyz` (its database and broker are reachable).

use actix_web::{web, HttpResponse};
use std::collections::HashMap;

use crate::db::{self, PgPool};
use crate::events::relay::BrokerStatus;
use crate::problem;

/// What `/readyz` checks.
#[derive(Clone, Default)]
pub struct Readiness {
    pub pool: Option<PgPool>,
    pub broker: Option<BrokerStatus>,
}

pub(super) async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(serde_json::json!({"status": "ok"}))
}

pub(super) async fn readyz(ready: web::Data<Readiness>) -> HttpResponse {
    let mut checks = HashMap::new();
    if let Some(pool) = &ready.pool {
        checks.insert("database", db::ping(pool).await);
    }
    if let Some(broker) = &ready.broker {
        checks.insert("broker", broker.is_connected());
    }
    let ok = checks.values().all(|v| *v);
    let body = serde_json::json!({
        "status": if ok { "ready" } else { "unavailable" },
        "checks": checks.iter().map(|(k, v)| (k.to_string(), if *v { "up" } else { "down" })).collect::<HashMap<_, _>>(),
    });
    if ok {
        HttpResponse::Ok().json(body)
    } else {
        HttpResponse::ServiceUnavailable()
            .content_type(problem::PROBLEM_JSON)
            .insert_header(("retry-after", "5"))
            .json(serde_json::json!({
                "type": "https://kuaidi.dev/problems/service_unavailable",
                "title": "Service unavailable",
                "status": 503,
                "detail": "a dependency is down",
                "code": "service_unavailable",
                "checks": body["checks"],
            }))
    }
}
