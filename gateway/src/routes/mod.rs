//! Every route the gateway answers itself; everything else is proxied (see `crate::proxy`).

use actix_web::middleware::from_fn;
use actix_web::web;

pub mod admin;
pub mod auth;
pub mod jwks;

/// Every path is a `web::resource` (never `cfg.route`, which makes a resource per method): a
/// method a path does not take is then a `405` with `Allow` (a problem, `kuaidi_shared::methods`),
/// not a `404` from the proxy.
pub fn configure(cfg: &mut web::ServiceConfig) {
    use admin::{api_keys, audit_log, clients, users};
    cfg.service(web::resource("/api/v1/auth/login").route(web::post().to(auth::login::login)))
        .service(
            web::resource("/api/v1/auth/refresh").route(web::post().to(auth::refresh::refresh)),
        )
        .service(web::resource("/api/v1/auth/logout").route(web::post().to(auth::refresh::logout)))
        .service(web::resource("/api/v1/auth/token").route(web::post().to(auth::token::token)))
        .service(
            web::resource("/api/v1/auth/customer-token")
                .wrap(from_fn(crate::ratelimit::own_routes))
                .route(web::post().to(auth::customer_token::customer_token)),
        )
        .service(web::resource("/.well-known/jwks.json").route(web::get().to(jwks::jwks)))
        // Each resource with an `{id}` sits in a scope of its own, so a proxied path (public
        // tracking above all) is told apart by plain prefixes, never by a pattern's regex.
        .service(
            web::scope("/api/v1/users")
                .wrap(from_fn(crate::ratelimit::own_routes))
                .service(
                    web::resource("")
                        .wrap(from_fn(crate::idempotency::own_creates))
                        .route(web::post().to(users::create_user))
                        .route(web::get().to(users::list_users)),
                )
                // Before `/{id}`, whose `{id}` would match `x:unlock` too.
                .service(
                    web::resource("/{id}:unlock").route(web::post().to(admin::unlock::unlock_user)),
                )
                .service(
                    web::resource("/{id}")
                        .route(web::get().to(users::get_user))
                        .route(web::patch().to(users::update_user))
                        .route(web::delete().to(users::delete_user)),
                ),
        )
        .service(
            web::scope("/api/v1/clients")
                .wrap(from_fn(crate::ratelimit::own_routes))
                .service(
                    web::resource("")
                        .wrap(from_fn(crate::idempotency::own_creates))
                        .route(web::post().to(clients::create_client))
                        .route(web::get().to(clients::list_clients)),
                )
                .service(
                    web::resource("/{id}")
                        .route(web::get().to(clients::get_client))
                        .route(web::delete().to(clients::revoke_client)),
                ),
        )
        .service(
            web::scope("/api/v1/api-keys")
                .wrap(from_fn(crate::ratelimit::own_routes))
                .service(
                    web::resource("")
                        .wrap(from_fn(crate::idempotency::own_creates))
                        .route(web::post().to(api_keys::create_api_key))
                        .route(web::get().to(api_keys::list_api_keys)),
                )
                .service(
                    web::resource("/{id}")
                        .route(web::get().to(api_keys::get_api_key))
                        .route(web::delete().to(api_keys::revoke_api_key)),
                ),
        )
        .service(
            web::resource("/api/v1/audit-log")
                .wrap(from_fn(crate::ratelimit::own_routes))
                .route(web::get().to(audit_log::list_audit_log)),
        );
}
