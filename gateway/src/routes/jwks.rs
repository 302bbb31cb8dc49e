//! `GET /.well-known/jwks.json`.

use actix_web::{web, HttpResponse};
use kuaidi_shared::auth::Jwks;

use crate::keys::KeyRing;

/// The public keys that verify Kuaidi access tokens (Ed25519, by `kid`).
// Public: no credentials needed.
#[utoipa::path(get, path = "/.well-known/jwks.json", tag = "auth",
    responses((status = 200, description = "JSON Web Key Set", body = Jwks)),
    security(()))]
pub async fn jwks(keys: web::Data<KeyRing>) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header(("cache-control", "public, max-age=300"))
        .json(keys.jwks())
}
