//! The gateway: the one entry point. It logs staff in and signs access tokens (EdDSA, JWKS),
//! routes `/api/v1/...` to the services by path prefix, and serves the whole API's OpenAPI
//! document and Swagger UI (SPEC §3). It owns the `kuaidi_gateway` database.

pub mod api;
pub mod audit;
pub mod configuration;
pub mod db;
pub mod docs;
pub mod domain;
pub mod edge;
pub mod idempotency;
pub mod keys;
pub mod lockout;
pub mod passwords;
pub mod proxy;
pub mod ratelimit;
pub mod routes;
pub mod sessions;
pub mod startup;
#[cfg(feature = "testing")]
pub mod testing;
pub mod tokens;

pub use startup::build;
