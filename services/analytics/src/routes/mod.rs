//! Every route of the analytics service, in one place.

use actix_web::web;

pub mod alerts;
pub mod dashboard;
pub mod kpis;
pub mod reports;
pub mod rights;
pub mod segments;

/// Registers the service's routes.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("/api/v1/analytics")
            .route("/kpis", web::get().to(kpis::get::get_kpis))
            .route(
                "/kpi-definitions",
                web::get().to(kpis::definitions::get_kpi_definitions),
            )
            .route("/segments", web::get().to(segments::get::get_segments))
            .route(
                "/churn-risk",
                web::get().to(segments::churn_risk::get_churn_risk),
            )
            .route(
                "/complaint-hotspots",
                web::get().to(reports::hotspots::get_hotspots),
            )
            .route(
                "/staff-performance",
                web::get().to(reports::staff::get_staff_performance),
            )
            .route("/export", web::get().to(reports::export::export))
            .route("/alerts", web::get().to(alerts::list::list_alerts))
            .route(
                "/alerts/{id}:acknowledge",
                web::post().to(alerts::acknowledge::acknowledge_alert),
            ),
    );
    dashboard::configure(cfg);
}
