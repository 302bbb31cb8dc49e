//! Every route of the shipments service, in one place.

use actix_web::web;

pub mod shipments;

/// Registers the service's routes.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("/api/v1/shipments")
            .route("", web::post().to(shipments::create::create_shipment))
            .route(
                "/{tracking_number}",
                web::get().to(shipments::get::get_shipment),
            ),
    );
}
