//! What handlers share from the application (pool, outbox, PII cipher, clock), extracted as
//! one value so handlers name only what varies per request.

use actix_web::dev::Payload;
use actix_web::{web, FromRequest, HttpRequest};
use kuaidi_shared::clock::Clock;
use kuaidi_shared::crypto::PiiCipher;
use kuaidi_shared::db::PgPool;
use kuaidi_shared::events::Outbox;
use kuaidi_shared::ApiError;
use std::future::{ready, Ready};

/// The service's shared resources.
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
