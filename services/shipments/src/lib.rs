//! The shipments service: waybills, carrier scan events and normalised tracking statuses, public
//! tracking, merchant pull and webhooks (SPEC §5). It owns the `kuaidi_shipments` database and
//! emits `shipment.*` events through its outbox.

pub mod api;
pub mod configuration;
pub mod db;
pub mod domain;
pub mod events;
pub mod routes;
pub mod startup;
pub mod workflow;

pub use startup::build;

use kuaidi_shared::openapi::{BearerByDefault, ProblemSchemas};

/// The service's name in events (`/kuaidi/shipments`), queues and metrics.
pub const SERVICE: &str = "shipments";

#[derive(utoipa::OpenApi)]
#[openapi(
    paths(
        routes::shipments::create::create_shipment,
        routes::shipments::get::get_shipment,
        routes::tracking_events::create::create_tracking_event,
        routes::tracking_events::batch::ingest_tracking_events,
        routes::shipments::list::list_shipments,
        routes::shipments::impact::get_impact,
        routes::shipments::impact::notify_impact,
        routes::tracking::batch_get::batch_get,
        routes::tracking::public::public_tracking,
        routes::webhooks::create::create_webhook,
        routes::webhooks::list::list_webhooks,
        routes::webhooks::get::get_webhook,
        routes::webhooks::update::update_webhook,
        routes::webhooks::delete::delete_webhook,
        routes::webhooks::deliveries::list_deliveries,
        routes::webhooks::deliveries::redeliver,
        routes::webhooks::actions::test_webhook,
        routes::webhooks::actions::replay_webhook,
    ),
    // What each item of a `tracking-events:batch` should be (the batch accepts any item).
    components(schemas(api::tracking_events::BatchTrackingEvent)),
    modifiers(&ProblemSchemas, &BearerByDefault),
    tags(
        (name = "shipments", description = "Waybills and tracking"),
        (name = "tracking", description = "Public tracking, no authentication"),
        (name = "webhooks", description = "Signed event deliveries to merchants' and apps' endpoints")
    )
)]
pub struct ApiDoc;
