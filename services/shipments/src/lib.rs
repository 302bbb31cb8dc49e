//! The shipments service: waybills, carrier scan events and normalised tracking statuses, public
//! tracking, merchant pull and webhooks (SPEC §5). It owns the `kuaidi_shipments` database and
//! emits `shipment.*` events through its outbox.

pub mod api;
pub mod configuration;
pub mod db;
pub mod domain;
pub mod routes;
pub mod startup;

pub use startup::build;

/// The service's name in events (`/kuaidi/shipments`), queues and metrics.
pub const SERVICE: &str = "shipments";

#[derive(utoipa::OpenApi)]
#[openapi(
    paths(
        routes::shipments::create::create_shipment,
        routes::shipments::get::get_shipment,
        routes::shipments::list::list_shipments,
        routes::tracking::batch_get::batch_get,
    ),
    tags((name = "shipments", description = "Waybills and tracking"))
)]
pub struct ApiDoc;

/// The service's OpenAPI document (merged into the gateway's).
pub fn openapi() -> utoipa::openapi::OpenApi {
    <ApiDoc as utoipa::OpenApi>::openapi()
}
