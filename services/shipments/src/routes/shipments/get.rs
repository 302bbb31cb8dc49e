//! `GET /api/v1/shipments/{tracking_number}`. A polled shipment is answered from memory: the
//! row and its timeline are cached per tracking number until the shipment changes (the same
//! listener as public tracking, [`crate::db::tracking_cache`]), with each of its two encoded
//! views (recipient masked or not) made once. An end customer's scope depends on the phone
//! projection, not only on the row, so their reads always go to the database.

use actix_web::{web, HttpRequest, HttpResponse};
use kuaidi_shared::auth::Principal;
use kuaidi_shared::capabilities::{caps, Authorized};
use kuaidi_shared::crypto::PiiCipher;
use kuaidi_shared::db::{self, PgPool};
use kuaidi_shared::deps::Deps;
use kuaidi_shared::http::{mark_pii_read, Encoded};
use kuaidi_shared::openapi::{NoValidToken, NotModified};
use kuaidi_shared::ApiError;
use std::sync::{Arc, OnceLock};

use crate::api::problems::NoSuchShipment;
use crate::api::shipments::Shipment;
use crate::db::shipments::{self as repo, Scope, ShipmentRow};
use crate::db::tracking_cache::{TrackingCache, Weigh};
use crate::db::tracking_events::EventRow;
use crate::domain::TrackingNumber;

/// Bytes the replica keeps for authenticated shipment reads.
const CACHE_BYTES: u64 = 16 * 1024 * 1024;

/// A shipment as stored, and its views once encoded: `[masked, unmasked]`.
pub struct Record {
    row: ShipmentRow,
    events: Vec<EventRow>,
    views: [OnceLock<Encoded>; 2],
}

impl Weigh for Record {
    fn weight(&self) -> usize {
        // The row and each event are a few hundred bytes; both views of it a few KiB.
        2048 + self.events.len() * 768 + self.row.recipient_sealed.len()
    }
}

/// The replica's cache of shipments for authenticated reads.
pub type ShipmentCache = TrackingCache<Record>;

pub fn cache() -> ShipmentCache {
    ShipmentCache::holding(CACHE_BYTES)
}

impl Record {
    /// The view of the shipment with the recipient masked or not, encoded once.
    fn view(
        &self,
        unmasked: bool,
        pii: &PiiCipher,
        caller: &Principal,
    ) -> Result<&Encoded, ApiError> {
        let slot = &self.views[usize::from(unmasked)];
        if let Some(done) = slot.get() {
            return Ok(done);
        }
        let body: Shipment = super::view(self.row.clone(), self.events.clone(), pii, caller)?;
        let etag = format!("{}-{}", self.row.id.simple(), self.row.version);
        let json = serde_json::to_vec(&body).map_err(|e| ApiError::Internal(e.into()))?;
        let encoded = Encoded::new(&etag, json.into()).map_err(|e| ApiError::Internal(e.into()))?;
        Ok(slot.get_or_init(|| encoded))
    }
}

/// The shipment `tn` within `scope`, from the cache where the scope allows.
async fn record(
    cache: &ShipmentCache,
    pool: &PgPool,
    tn: String,
    scope: Scope,
) -> Result<Arc<Record>, ApiError> {
    let cacheable = !matches!(scope, Scope::Customer(_));
    let within = |r: &Record| match &scope {
        Scope::Merchant(m) => r.row.merchant_id == Some(*m),
        _ => true,
    };
    if let Some(hit) = cache.get(&tn).filter(|_| cacheable) {
        return if within(&hit) {
            Ok(hit)
        } else {
            Err(ApiError::NotFound("shipment"))
        };
    }
    let ticket = cache.ticket(&tn);
    let load_scope = if cacheable { Scope::All } else { scope.clone() };
    let key = tn.clone();
    let loaded = db::run(pool, move |conn| {
        let row = repo::find_by_tracking_number(conn, &tn, &load_scope)?
            .ok_or(ApiError::NotFound("shipment"))?;
        let events = crate::db::tracking_events::timeline(conn, row.id)?;
        Ok(Arc::new(Record {
            row,
            events,
            views: Default::default(),
        }))
    })
    .await?;
    if cacheable {
        cache.insert(key, ticket, loaded.clone());
    }
    if within(&loaded) {
        Ok(loaded)
    } else {
        Err(ApiError::NotFound("shipment"))
    }
}

/// The shipment with its timeline. Another merchant's shipment is a 404.
#[utoipa::path(get, path = "/api/v1/shipments/{tracking_number}", tag = "shipments",
    params(("tracking_number" = String, Path, description = "The waybill's tracking number")),
    responses((status = 200, description = "The shipment; `ETag` carries its version", body = Shipment),
        NotModified, NoValidToken, NoSuchShipment))]
pub async fn get_shipment(
    req: HttpRequest,
    caller: Authorized<caps::ShipmentsRead>,
    tn: TrackingNumber,
    deps: Deps,
    cache: web::Data<ShipmentCache>,
) -> Result<HttpResponse, ApiError> {
    let scope = super::scope_of(&caller)?;
    let record = record(&cache, &deps.pool, tn.to_string(), scope).await?;
    let unmasked = super::sees_pii(&caller, &record.row);
    let mut resp = record
        .view(unmasked, &deps.pii, &caller)?
        .respond(&req, &[]);
    if unmasked {
        mark_pii_read(
            &mut resp,
            &format!("shipment:{}", record.row.tracking_number),
        );
    }
    Ok(resp)
}
