//! Every route of the customers service, in one place.

use actix_web::web;

pub mod customers;

/// Registers the service's routes.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("/api/v1/customers")
            .route("", web::post().to(customers::create::create_customer))
            .route("/{id}", web::get().to(customers::get::get_customer)),
    );
}
