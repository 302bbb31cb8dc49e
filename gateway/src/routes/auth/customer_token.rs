//! `POST /api/v1/auth/customer-token`: the mobile app, having verified a person's phone itself
//! (SMS code), exchanges it for a short-lived `customer` token carrying the phone's blind index
//! (SPEC §3). The services match that person's records by the same index, so the phone itself
//! never travels in a token and never reaches the audit log.

use actix_web::{web, HttpRequest, HttpResponse};
use kuaidi_shared::auth::Role;
use kuaidi_shared::crypto::{mask_phone, normalise_phone};
use kuaidi_shared::deps::Deps;
use kuaidi_shared::extract::Json;
use kuaidi_shared::openapi::NoValidToken;
use kuaidi_shared::request::RequestContext;
use kuaidi_shared::ApiError;

use crate::api::auth::{CustomerTokenRequest, CustomerTokenResponse};
use crate::api::problems::{NotAPhone, NotTheApp};
use crate::audit::{Audit, Auditor};
use crate::edge::Edge;
use crate::tokens::{Signer, Subject};

/// A customer token lives at most this long, whatever the staff token lifetime is.
pub const CUSTOMER_TOKEN_TTL_SECS: i64 = 15 * 60;

/// Issues a `customer` token for the person with this phone (role `app` only, audited).
#[utoipa::path(post, path = "/api/v1/auth/customer-token", tag = "auth",
    request_body = CustomerTokenRequest,
    responses((status = 200, description = "A customer token with claim `phone_hash`", body = CustomerTokenResponse),
        NoValidToken, NotTheApp, NotAPhone))]
pub async fn customer_token(
    req: HttpRequest,
    ctx: RequestContext,
    body: Json<CustomerTokenRequest>,
    edge: web::Data<Edge>,
    signer: web::Data<Signer>,
    deps: Deps,
    auditor: web::Data<Auditor>,
) -> Result<HttpResponse, ApiError> {
    let app = edge
        .resolve(req.headers())
        .await?
        .ok_or_else(|| ApiError::Unauthorized("bearer token required".into()))?
        .principal;
    if app.role != Role::App {
        return Err(ApiError::Forbidden(
            "only the app may obtain customer tokens".into(),
        ));
    }
    let phone = normalise_phone(&body.phone)
        .ok_or_else(|| ApiError::validation("phone", "is not a valid phone number"))?;
    let subject = Subject::customer(deps.pii.blind_index(&phone));
    let ttl = signer.jwt.access_ttl_secs.min(CUSTOMER_TOKEN_TTL_SECS);
    let access_token = signer.sign(&subject, ttl)?;
    let entry = Audit::by(&app, "auth.customer_token", Some(subject.sub.clone()))
        .details(serde_json::json!({"phone": mask_phone(&phone)}));
    auditor.record(&req, &ctx, entry).await;
    Ok(HttpResponse::Ok()
        .insert_header(("cache-control", "no-store"))
        .json(CustomerTokenResponse {
            access_token,
            token_type: "Bearer".into(),
            expires_in: ttl,
        }))
}
