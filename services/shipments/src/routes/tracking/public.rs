//! `GET /api/v1/tracking/{tracking_number}`: public, unauthenticated tracking (rate-limited per
//! IP at the gateway). No PII: with `?phone_last4=` matching the recipient's phone, the masked
//! recipient name is added. Hot numbers are polled again and again, so the encoded answer and
//! its ETag are cached until the shipment changes ([`crate::db::tracking_cache`]; the recipient is
//! kept sealed, for the `phone_last4` variant, which is never cached encoded).

use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::{web, HttpRequest, HttpResponse};
use chrono::{DateTime, Utc};
use kuaidi_shared::crypto::{mask_name, normalise_phone};
use kuaidi_shared::db::{self, PgPool};
use kuaidi_shared::deps::Deps;
use kuaidi_shared::extract::Query;
use kuaidi_shared::http::{respond_with_etag, Encoded};
use kuaidi_shared::openapi::NotModified;
use kuaidi_shared::ApiError;
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use utoipa::{IntoParams, ToSchema};

use crate::api::problems::{BadPhoneLast4, TooManyLookups, UnknownTrackingNumber};
use crate::api::shipments::Recipient;
use crate::db::public;
use crate::db::tracking_cache::{Entry, TrackingCache};
use crate::domain::masking::mask_phones;
use crate::domain::TrackingNumber;

/// The replica's cache of public answers.
pub type PublicCache = TrackingCache<Entry<PublicTracking>>;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PublicQuery {
    /// Last four digits of the recipient's phone: adds the masked recipient name.
    pub phone_last4: Option<String>,
}

/// One checkpoint, as the public sees it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct PublicCheckpoint {
    pub time: DateTime<Utc>,
    pub status: String,
    pub substatus: Option<String>,
    pub city: Option<String>,
    /// The scan's description, any phone number in it masked (`139****1111`).
    pub description: Option<String>,
    pub sequence: i64,
}

/// Public tracking: status, estimated delivery and timeline — no personal data.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({"tracking_number": "KD473124829CN", "status": "in_transit", "substatus": null,
    "origin_city": "上海", "destination_city": "北京", "estimated_delivery_at": "2026-11-26T12:00:00Z",
    "delivered_at": null, "last_event_at": "2026-11-25T08:30:00Z",
    "timeline": [{"time": "2026-11-25T08:30:00Z", "status": "in_transit", "substatus": null, "city": "上海", "description": "已发出", "sequence": 2}]}))]
pub struct PublicTracking {
    pub tracking_number: String,
    pub status: String,
    pub substatus: Option<String>,
    pub origin_city: String,
    pub destination_city: String,
    pub estimated_delivery_at: Option<DateTime<Utc>>,
    pub delivered_at: Option<DateTime<Utc>>,
    pub last_event_at: Option<DateTime<Utc>>,
    pub timeline: Vec<PublicCheckpoint>,
    /// Only with a matching `phone_last4`: e.g. `张**`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub recipient_name: Option<String>,
}

/// The cached answer for `tn`, loaded (and cached, unless it changed meanwhile) on a miss.
async fn answer(
    cache: &PublicCache,
    pool: &PgPool,
    tn: &str,
) -> Result<Arc<Entry<PublicTracking>>, ApiError> {
    if let Some(hit) = cache.get(tn) {
        return Ok(hit);
    }
    let ticket = cache.ticket(tn);
    let (body, sealed_recipient, etag) = load(pool, tn.to_owned()).await?;
    let encoded = serde_json::to_vec(&*body).map_err(|e| ApiError::Internal(e.into()))?;
    let answer = Encoded::new(&etag, encoded.into()).map_err(|e| ApiError::Internal(e.into()))?;
    let entry = Arc::new(Entry {
        body,
        sealed_recipient,
        answer,
        etag,
    });
    cache.insert(tn.to_owned(), ticket, entry.clone());
    Ok(entry)
}

/// The public answer for `tn`, its sealed recipient and its entity tag.
async fn load(
    pool: &PgPool,
    tn: String,
) -> Result<(Arc<PublicTracking>, Arc<Vec<u8>>, String), ApiError> {
    db::run(pool, move |conn| {
        let s = public::find(conn, &tn)?.ok_or(ApiError::NotFound("shipment"))?;
        // The shipment's own sequence and version, read with the answer: every change of the
        // row moves them, a late, older scan too (the timeline, ordered by `occurred_at`, may
        // end with an older sequence; its last entry would leave the tag unchanged).
        let etag = format!(
            "{}-{}.{}-{}",
            s.tracking_number, s.last_sequence, s.version, s.status
        );
        let timeline = public::checkpoints(conn, s.id)?
            .into_iter()
            .map(|c| PublicCheckpoint {
                time: c.occurred_at,
                status: c.status,
                substatus: c.substatus,
                city: c.city,
                // Free text a courier typed may name a phone number; the public sees it
                // masked, staff as stored (the answer is cached as masked here).
                description: c.description.as_deref().map(mask_phones),
                sequence: c.sequence,
            })
            .collect();
        Ok((
            Arc::new(PublicTracking {
                tracking_number: s.tracking_number,
                status: s.status,
                substatus: s.substatus,
                origin_city: s.origin_city,
                destination_city: s.destination_city,
                estimated_delivery_at: s.estimated_delivery_at,
                delivered_at: s.delivered_at,
                last_event_at: s.last_event_at,
                timeline,
                recipient_name: None,
            }),
            Arc::new(s.recipient_sealed),
            etag,
        ))
    })
    .await
}

/// Public tracking of one shipment.
// Public: no credentials needed.
#[utoipa::path(get, path = "/api/v1/tracking/{tracking_number}", tag = "tracking",
    params(("tracking_number" = String, Path), PublicQuery),
    responses((status = 200, description = "Status and timeline, no personal data; `ETag` for polling", body = PublicTracking),
        NotModified, UnknownTrackingNumber, BadPhoneLast4, TooManyLookups),
    security(()))]
pub async fn public_tracking(
    req: HttpRequest,
    tn: TrackingNumber,
    query: Query<PublicQuery>,
    deps: Deps,
    cache: web::Data<PublicCache>,
) -> Result<HttpResponse, ApiError> {
    let tn = tn.to_string();
    let last4 = match query.into_inner().phone_last4 {
        Some(l) if l.len() == 4 && l.bytes().all(|b| b.is_ascii_digit()) => Some(l),
        Some(_) => return Err(ApiError::validation("phone_last4", "must be four digits")),
        None => None,
    };
    let entry = answer(&cache, &deps.pool, &tn).await?;
    match last4 {
        None => Ok(entry.answer.respond(&req, &public_cache_control())),
        Some(digits) => {
            let recipient: Recipient = deps.pii.open_json(&entry.sealed_recipient)?;
            // The digits of the phone as stored may be followed by spaces, an extension
            // label, ...: its normalised form ends with the number's last four digits.
            let matches =
                normalise_phone(&recipient.phone).is_some_and(|phone| phone.ends_with(&digits));
            let mut with_name = (*entry.body).clone();
            with_name.recipient_name = matches.then(|| mask_name(&recipient.name));
            Ok(respond_with_etag(
                &req,
                &format!("{}-{}", entry.etag, u8::from(matches)),
                &with_name,
            ))
        }
    }
}

/// `Cache-Control` for answers anyone may cache briefly.
fn public_cache_control() -> [(HeaderName, HeaderValue); 1] {
    [(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=2"),
    )]
}
