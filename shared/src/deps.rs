//! What handlers share from the application (pool, outbox, PII cipher, clock), extracted as
//! one value so handlers name only what varies per request. Every service registers all four
//! ([`crate::app`]; the gateway in its own startup).

use crate::clock::Clock;
use crate::crypto::PiiCipher;
use crate::db::PgPool;
use crate::events::Outbox;
use crate::ApiError;
use actix_web::dev::Payload;
use actix_web::{web, FromRequest, HttpRequest};
use std::future::{ready, Ready};

/// The service's shared resources: `deps: Deps` in a handler's parameters.
#[derive(Clone)]
pub struct Deps {
    pub pool: web::Data<PgPool>,
    pub outbox: web::Data<Outbox>,
    pub pii: web::Data<PiiCipher>,
    pub clock: web::Data<Clock>,
}

fn data<T: 'static>(req: &HttpRequest) -> Result<web::Data<T>, ApiError> {
    req.app_data::<web::Data<T>>()
        .cloned()
        .ok_or_else(|| ApiError::Internal(anyhow::anyhow!("application data missing")))
}

impl FromRequest for Deps {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready((|| {
            Ok(Self {
                pool: data(req)?,
                outbox: data(req)?,
                pii: data(req)?,
                clock: data(req)?,
            })
        })())
    }
}
