//! Every route of the shipments service, in one place.

use actix_web::web;

pub mod shipments;
pub mod tracking;

/// Registers the service's routes.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route(
        "/api/v1/tracking:batch-get",
        web::post().to(tracking::batch_get::batch_get),
    );
    cfg.service(
        web::scope("/api/v1/shipments")
            .route("", web::post().to(shipments::create::create_shipment))
            .route("", web::get().to(shipments::list::list_shipments))
            .route(
                "/{tracking_number}",
                web::get().to(shipments::get::get_shipment),
            ),
    );
}
