//! Every route of the analytics service, in one place.

use actix_web::web;

pub mod kpis;

/// Registers the service's routes.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("/api/v1/analytics")
            .route("/kpis", web::get().to(kpis::get::get_kpis))
            .route(
                "/kpi-definitions",
                web::get().to(kpis::definitions::get_kpi_definitions),
            ),
    );
}
