//! Every route of the complaints service, in one place.

use actix_web::web;

pub mod complaints;

/// Registers the service's routes.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("/api/v1/complaints")
            .route("", web::post().to(complaints::create::create_complaint))
            .route("/{id}", web::get().to(complaints::get::get_complaint))
            .route("/{id}/history", web::get().to(complaints::get::get_history)),
    );
}
