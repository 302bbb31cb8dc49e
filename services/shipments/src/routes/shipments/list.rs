//! `GET /api/v1/shipments`: merchants' incremental pull, the app's "my parcels", staff search.

use actix_web::HttpResponse;
use chrono::{DateTime, Utc};
use kuaidi_shared::auth::{Principal, Role};
use kuaidi_shared::capabilities::{caps, Authorized};
use kuaidi_shared::crypto::normalise_phone;
use kuaidi_shared::db;
use kuaidi_shared::deps::Deps;
use kuaidi_shared::extract::Query;
use kuaidi_shared::openapi::NoValidToken;
use kuaidi_shared::pagination::{Cursor, Page};
use kuaidi_shared::ApiError;
use serde::Deserialize;
use utoipa::IntoParams;
use uuid::Uuid;

use crate::api::problems::{BadFilter, MayNotReadShipments};
use crate::api::shipments::Shipment;
use crate::db::pull::{self, PullFilter};
use crate::domain::ShipmentStatus;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// Only shipments changed at or after this time (RFC 3339); pass the last `updated_at`
    /// you saw to pull what changed since.
    pub updated_since: Option<DateTime<Utc>>,
    /// One of the 9 statuses.
    pub status: Option<String>,
    /// Staff only: exact recipient phone.
    pub recipient_phone: Option<String>,
    /// Only this merchant's shipments. Like every filter it narrows the caller's scope and
    /// never widens it: a merchant naming another merchant gets an empty page.
    pub merchant_id: Option<Uuid>,
    /// Only the shipments sent by this customer file (`shipper_customer_id`).
    pub shipper_customer_id: Option<Uuid>,
    /// 1–200, default 50.
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    /// `next_cursor` of the previous page.
    #[param(pattern = "^[A-Za-z0-9_-]+$")]
    pub cursor: Option<String>,
}

/// Shipments in the caller's scope, oldest change first: a merchant's own, an end customer's
/// parcels (sent to their phone or by them; the recipient of one they sent is masked), or any
/// for staff — narrowed by the filters given (`merchant_id`, `shipper_customer_id`, `status`,
/// `updated_since`, staff's `recipient_phone`). Pages by cursor; every row carries its latest
/// `sequence` so a receiver never moves a shipment back.
#[utoipa::path(get, path = "/api/v1/shipments", tag = "shipments", params(ListQuery),
    responses((status = 200, description = "A page of shipments, each with its timeline", body = Page<Shipment>),
        NoValidToken, MayNotReadShipments, BadFilter))]
pub async fn list_shipments(
    caller: Authorized<caps::ShipmentsRead>,
    query: Query<ListQuery>,
    deps: Deps,
) -> Result<HttpResponse, ApiError> {
    let q = query.into_inner();
    let (limit, cursor) = kuaidi_shared::pagination::PageParams {
        limit: q.limit,
        cursor: q.cursor,
    }
    .parse()?;
    if let Some(s) = &q.status {
        if ShipmentStatus::parse(s).is_none() {
            return Err(ApiError::validation(
                "status",
                "must be one of the 9 tracking statuses",
            ));
        }
    }
    let recipient_phone_index =
        recipient_phone_index(q.recipient_phone.as_deref(), &caller, &deps)?;
    let scope = super::scope_of(&caller)?;
    let filter = PullFilter {
        updated_since: q.updated_since,
        status: q.status,
        recipient_phone_index,
        merchant_id: q.merchant_id,
        shipper_customer_id: q.shipper_customer_id,
        after: cursor.map(|c| (c.at, c.id)),
    };
    let (rows, timelines) = db::run(&deps.pool, move |conn| {
        let rows = pull::changed(conn, &scope, &filter, limit)?;
        // The page's timelines in one query; the extra row only says there is more.
        let shown: Vec<Uuid> = rows.iter().take(limit as usize).map(|r| r.id).collect();
        Ok((rows, pull::timelines(conn, &shown)?))
    })
    .await?;
    let page = Page::from_rows(
        rows,
        limit,
        |r| Cursor {
            at: r.updated_at,
            id: r.id,
        },
        |r| r,
    );
    let (data, unmasked) = super::views(page.data, timelines, &deps.pii, &caller)?;
    let mut resp = HttpResponse::Ok().json(Page {
        data,
        next_cursor: page.next_cursor,
    });
    super::mark_unmasked(&mut resp, &unmasked);
    Ok(resp)
}

/// The blind index of the staff filter `?recipient_phone=`, refused to merchants and customers.
fn recipient_phone_index(
    phone: Option<&str>,
    caller: &Principal,
    deps: &Deps,
) -> Result<Option<String>, ApiError> {
    match (phone, caller.role) {
        (None, _) => Ok(None),
        (Some(_), Role::Merchant | Role::Customer) => {
            Err(ApiError::validation("recipient_phone", "is a staff filter"))
        }
        (Some(p), _) => {
            let phone = normalise_phone(p)
                .ok_or_else(|| ApiError::validation("recipient_phone", "must be a phone number"))?;
            Ok(Some(deps.pii.blind_index(&phone)))
        }
    }
}
