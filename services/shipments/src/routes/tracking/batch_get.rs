//! `POST /api/v1/tracking:batch-get`.

use actix_web::HttpResponse;
use kuaidi_shared::capabilities::{caps, Authorized};
use kuaidi_shared::db;
use kuaidi_shared::deps::Deps;
use kuaidi_shared::extract::Json;
use kuaidi_shared::openapi::NoValidToken;
use kuaidi_shared::ApiError;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::api::problems::BadBatchGetSize;
use crate::api::shipments::Shipment;
use crate::db::pull;
use crate::routes::shipments;

pub const MAX_BATCH: usize = 100;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"tracking_numbers": ["KD473124829CN", "SF1234567890"]}))]
pub struct BatchGet {
    /// 1–100 tracking numbers; one that names no shipment of the caller's (malformed ones
    /// included) is answered in `not_found`.
    #[schema(min_items = 1, max_items = 100)]
    pub tracking_numbers: Vec<String>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct BatchGetResult {
    /// The shipments found, in the order asked.
    pub data: Vec<Shipment>,
    /// Tracking numbers not found for this caller (another merchant's count as not found).
    pub not_found: Vec<String>,
}

/// Many shipments at once, within the caller's scope (a merchant's own only).
#[utoipa::path(post, path = "/api/v1/tracking:batch-get", tag = "shipments", request_body = BatchGet,
    responses((status = 200, description = "Found and not found", body = BatchGetResult),
        NoValidToken, BadBatchGetSize))]
pub async fn batch_get(
    caller: Authorized<caps::ShipmentsRead>,
    body: Json<BatchGet>,
    deps: Deps,
) -> Result<HttpResponse, ApiError> {
    let asked: Vec<String> = body
        .into_inner()
        .tracking_numbers
        .iter()
        .map(|t| t.trim().to_ascii_uppercase())
        .collect();
    if asked.is_empty() || asked.len() > MAX_BATCH {
        return Err(ApiError::validation(
            "tracking_numbers",
            "must hold 1 to 100 tracking numbers",
        ));
    }
    let scope = crate::routes::shipments::scope_of(&caller)?;
    let wanted = asked.clone();
    let (rows, timelines) = db::run(&deps.pool, move |conn| {
        let rows = pull::many(conn, &scope, &wanted)?;
        let ids: Vec<_> = rows.iter().map(|r| r.id).collect();
        Ok((rows, pull::timelines(conn, &ids)?))
    })
    .await?;
    let mut by_tn: std::collections::HashMap<String, _> = rows
        .into_iter()
        .map(|r| (r.tracking_number.clone(), r))
        .collect();
    let mut found = Vec::new();
    let mut not_found = Vec::new();
    for tn in asked {
        match by_tn.remove(&tn) {
            Some(row) => found.push(row),
            None if !not_found.contains(&tn) && !found.iter().any(|r| r.tracking_number == tn) => {
                not_found.push(tn)
            }
            None => {}
        }
    }
    let (data, unmasked) = shipments::views(found, timelines, &deps.pii, &caller)?;
    let mut resp = HttpResponse::Ok().json(BatchGetResult { data, not_found });
    shipments::mark_unmasked(&mut resp, &unmasked);
    Ok(resp)
}
