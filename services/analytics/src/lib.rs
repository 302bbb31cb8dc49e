//! The analytics service: KPIs, segments, hotspots, early-warning alerts, staff performance,
//! exports and the dashboard (SPEC §8). It owns the `kuaidi_analytics` database and consumes
//! every event into pre-aggregated rollups.

pub mod api;
pub mod configuration;
pub mod db;
pub mod domain;
pub mod events;
pub mod routes;
pub mod startup;

pub use startup::build;

/// The service's name in events (`/kuaidi/analytics`), queues and metrics.
pub const SERVICE: &str = "analytics";

#[derive(utoipa::OpenApi)]
#[openapi(
    paths(
        routes::kpis::get::get_kpis,
        routes::kpis::definitions::get_kpi_definitions,
    ),
    tags((name = "analytics", description = "KPIs, segments, hotspots and alerts"))
)]
pub struct ApiDoc;

/// The service's OpenAPI document (merged into the gateway's).
pub fn openapi() -> utoipa::openapi::OpenApi {
    <ApiDoc as utoipa::OpenApi>::openapi()
}
