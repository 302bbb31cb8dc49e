//! Every route the gateway answers itself; everything else is proxied (see `crate::proxy`).

use actix_web::web;

pub mod auth;
pub mod jwks;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/api/v1/auth/login", web::post().to(auth::login::login))
        .route("/.well-known/jwks.json", web::get().to(jwks::jwks));
}
