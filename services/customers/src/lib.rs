//! The customers service: customer files with encrypted PII, classification, consent, dedup,
//! interactions, follow-ups and churn warning (SPEC §4). It owns the `kuaidi_customers`
//! database and keeps each customer's activity from shipment and complaint events.

pub mod api;
pub mod configuration;
pub mod db;
pub mod domain;
pub mod events;
pub mod routes;
pub mod startup;

pub use startup::build;

/// The service's name in events (`/kuaidi/customers`), queues and metrics.
pub const SERVICE: &str = "customers";

#[derive(utoipa::OpenApi)]
#[openapi(
    paths(
        routes::customers::create::create_customer,
        routes::customers::get::get_customer,
    ),
    tags((name = "customers", description = "Customer files, classification and care"))
)]
pub struct ApiDoc;

/// The service's OpenAPI document (merged into the gateway's).
pub fn openapi() -> utoipa::openapi::OpenApi {
    <ApiDoc as utoipa::OpenApi>::openapi()
}
