//! `GET /api/v1/shipments/{tracking_number}`. A polled shipment is answered from memory: the
//! row and its timeline are cached per tracking number until the shipment changes (the same
//! listener as public tracking, [`crate::db::tracking_cache`]), with each of its encoded views
//! (one per [`Lens`]: whole, masked, an end customer's) made once. Each view is a
//! representation of its own, with its own `ETag` (`<id>-<version>-<lens>`): a tag one reader
//! got never revalidates what another is shown. An end customer's scope depends on the phone
//! projection, not only on the row, so their reads always go to the database.

use actix_web::{web, HttpRequest, HttpResponse};
use kuaidi_shared::capabilities::{caps, Authorized};
use kuaidi_shared::crypto::PiiCipher;
use kuaidi_shared::db::{self, PgPool};
use kuaidi_shared::deps::Deps;
use kuaidi_shared::http::{mark_pii_read, Encoded};
use kuaidi_shared::openapi::{NoValidToken, NotModified};
use kuaidi_shared::ApiError;
use std::sync::{Arc, OnceLock};

use super::Lens;
use crate::api::problems::NoSuchShipment;
use crate::api::shipments::Shipment;
use crate::db::shipments::{self as repo, Scope, ShipmentRow};
use crate::db::tracking_cache::{TrackingCache, Weigh};
use crate::db::tracking_events::EventRow;
use crate::domain::TrackingNumber;

/// Bytes the replica keeps for authenticated shipment reads.
const CACHE_BYTES: u64 = 16 * 1024 * 1024;

/// A shipment as stored, and its views once encoded, by [`Lens::index`].
pub struct Record {
    row: ShipmentRow,
    events: Vec<EventRow>,
    views: [OnceLock<Encoded>; Lens::ALL.len()],
}

impl Weigh for Record {
    fn weight(&self) -> usize {
        // The row and each event are a few hundred bytes; the two views staff read (whole and
        // masked; end customers' reads are not cached) a few KiB.
        2048 + self.events.len() * 768 + self.row.recipient_sealed.len()
    }
}

/// The replica's cache of shipments for authenticated reads.
pub type ShipmentCache = TrackingCache<Record>;

pub fn cache() -> ShipmentCache {
    ShipmentCache::holding(CACHE_BYTES)
}

impl Record {
    /// The view of the shipment through `lens`, encoded once.
    fn view(&self, lens: Lens, pii: &PiiCipher) -> Result<&Encoded, ApiError> {
        let slot = &self.views[lens.index()];
        if let Some(done) = slot.get() {
            return Ok(done);
        }
        let body: Shipment = super::view(self.row.clone(), self.events.clone(), pii, lens)?;
        let etag = format!(
            "{}-{}-{}",
            self.row.id.simple(),
            self.row.version,
            lens.tag()
        );
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
    responses((status = 200, description = "The shipment as the caller may see it; `ETag` names its version and the view (whole, masked or an end customer's), so a tag never revalidates another view", body = Shipment),
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
    let lens = Lens::of(&caller, &record.row);
    let mut resp = record.view(lens, &deps.pii)?.respond(&req, &[]);
    if lens.unmasked() {
        mark_pii_read(
            &mut resp,
            &format!("shipment:{}", record.row.tracking_number),
        );
    }
    Ok(resp)
}
