//! `GET /api/v1/shipments/impact`: which live shipments a disruption at a hub or in a city
//! touches, with counts by merchant and by customer.

use actix_web::{web, HttpResponse};
use chrono::{DateTime, Duration, Utc};
use kuaidi_shared::auth::Role;
use kuaidi_shared::capabilities::{caps, Authorized};
use kuaidi_shared::db;
use kuaidi_shared::deps::Deps;
use kuaidi_shared::extract::{Json, Query};
use kuaidi_shared::openapi::NoValidToken;
use kuaidi_shared::request::RequestContext;
use kuaidi_shared::{ApiError, FieldError};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::api::problems::{BadImpactQuery, MayNotNotify};
use crate::configuration::ImpactSettings;
use crate::db::impact::{self, Affected, Place, Scope};
use crate::domain::location;
use crate::workflow::impact::notify_chunk;

/// At most this many shipments are listed by `GET /shipments/impact` (`truncated` says when
/// more are affected); the counts cover the same set. `impact:notify` has no such bound.
pub const MAX_AFFECTED: i64 = 10_000;

#[derive(Debug, Clone, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ImpactQuery {
    /// The hub (one of `hub_code` or `city`); trimmed and upper-cased as hub codes are stored.
    pub hub_code: Option<String>,
    /// The city; trimmed as cities are stored.
    pub city: Option<String>,
    /// Window start (RFC 3339); default 24 h before `to`.
    pub from: Option<DateTime<Utc>>,
    /// Window end; default now.
    pub to: Option<DateTime<Utc>>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct AffectedShipment {
    pub tracking_number: String,
    pub status: String,
    pub merchant_id: Option<Uuid>,
    pub shipper_customer_id: Option<Uuid>,
    pub origin_city: String,
    pub destination_city: String,
    pub estimated_delivery_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Count {
    pub id: Option<Uuid>,
    pub shipments: usize,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Impact {
    pub total: usize,
    /// True when more than 10 000 shipments are affected (only the first are listed).
    pub truncated: bool,
    pub by_merchant: Vec<Count>,
    pub by_customer: Vec<Count>,
    pub data: Vec<AffectedShipment>,
}

/// Validates the query into a place (normalised as stored) and a window.
pub fn parse(
    q: &ImpactQuery,
    now: DateTime<Utc>,
) -> Result<(Place, DateTime<Utc>, DateTime<Utc>), ApiError> {
    // Normalised as stored (`domain::location`): `hbf7b404 ` finds the scans at `HBF7B404`.
    let place = match (
        q.hub_code.as_deref().map(location::hub_code),
        q.city.as_deref().map(location::name),
    ) {
        (Some(Some(h)), None) if h.chars().count() <= 64 => Place::Hub(h),
        (None, Some(Some(c))) if c.chars().count() <= 64 => Place::City(c),
        _ => {
            return Err(ApiError::Validation(vec![FieldError::new(
                "hub_code",
                "give exactly one of hub_code or city",
            )]))
        }
    };
    let to = q.to.unwrap_or(now);
    let from = q.from.unwrap_or(to - Duration::hours(24));
    if from > to || to - from > Duration::days(31) {
        return Err(ApiError::validation(
            "from",
            "the window must run forwards and span at most 31 days",
        ));
    }
    Ok((place, from, to))
}

fn counts(rows: &[Affected], key: impl Fn(&Affected) -> Option<Uuid>) -> Vec<Count> {
    let mut by: BTreeMap<Option<Uuid>, usize> = BTreeMap::new();
    for r in rows {
        *by.entry(key(r)).or_default() += 1;
    }
    let mut out: Vec<Count> = by
        .into_iter()
        .map(|(id, shipments)| Count { id, shipments })
        .collect();
    out.sort_by_key(|c| std::cmp::Reverse(c.shipments));
    out
}

/// What the caller may ask about: the query's place and window, held to a merchant's own
/// shipments.
pub fn scope(
    caller: &kuaidi_shared::auth::Principal,
    q: &ImpactQuery,
    now: DateTime<Utc>,
) -> Result<Scope, ApiError> {
    if caller.role == Role::Customer {
        return Err(ApiError::Forbidden(
            "impact scope is for staff and merchants".into(),
        ));
    }
    let (place, from, to) = parse(q, now)?;
    let merchant = match caller.role {
        Role::Merchant => Some(caller.merchant_id.ok_or(ApiError::NotFound("shipment"))?),
        _ => None,
    };
    Ok(Scope {
        place,
        from,
        to,
        merchant,
    })
}

/// The live shipments at, passing or bound through a hub or city in a window: not delivered
/// nor expired, and in the window at the place (their latest scan at or before `from` there),
/// scanned there, or with it as origin or destination.
#[utoipa::path(get, path = "/api/v1/shipments/impact", tag = "shipments", params(ImpactQuery),
    responses((status = 200, description = "Affected shipments with counts by merchant and customer", body = Impact),
        NoValidToken, BadImpactQuery))]
pub async fn get_impact(
    caller: Authorized<caps::ShipmentsRead>,
    query: Query<ImpactQuery>,
    deps: Deps,
) -> Result<HttpResponse, ApiError> {
    let scope = scope(&caller, &query, deps.clock.now())?;
    let mut rows = db::run(&deps.pool, move |conn| {
        Ok(impact::affected(conn, &scope, None, MAX_AFFECTED + 1)?)
    })
    .await?;
    let truncated = rows.len() as i64 > MAX_AFFECTED;
    rows.truncate(MAX_AFFECTED as usize);
    Ok(HttpResponse::Ok().json(Impact {
        total: rows.len(),
        truncated,
        by_merchant: counts(&rows, |r| r.merchant_id),
        by_customer: counts(&rows, |r| r.shipper_customer_id),
        data: rows
            .into_iter()
            .map(|r| AffectedShipment {
                tracking_number: r.tracking_number,
                status: r.status,
                merchant_id: r.merchant_id,
                shipper_customer_id: r.shipper_customer_id,
                origin_city: r.origin_city,
                destination_city: r.destination_city,
                estimated_delivery_at: r.estimated_delivery_at,
            })
            .collect(),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use kuaidi_shared::clock::Clock;

    fn q(hub: Option<&str>, city: Option<&str>) -> ImpactQuery {
        ImpactQuery {
            hub_code: hub.map(Into::into),
            city: city.map(Into::into),
            from: None,
            to: None,
        }
    }

    #[test]
    fn exactly_one_place_and_a_sane_window_are_required() {
        let now = Clock::system().now();
        assert!(matches!(
            parse(&q(Some("PEK02"), None), now),
            Ok((Place::Hub(_), _, _))
        ));
        assert!(matches!(
            parse(&q(None, Some("北京")), now),
            Ok((Place::City(_), _, _))
        ));
        assert!(parse(&q(None, None), now).is_err());
        assert!(parse(&q(Some("A"), Some("B")), now).is_err());
        let mut long = q(Some("A"), None);
        long.from = Some(now - Duration::days(40));
        assert!(parse(&long, now).is_err());
        let (_, from, to) = parse(&q(Some("A"), None), now).expect("valid");
        assert_eq!(
            to - from,
            Duration::hours(24),
            "default window: the last 24 h"
        );
    }
}

/// Body of `POST /api/v1/shipments/impact:notify`: the same place and window as the query.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"hub_code": "PEK02", "from": "2026-11-25T00:00:00Z", "to": "2026-11-25T12:00:00Z", "reason": "power outage at the Beijing hub"}))]
pub struct NotifyImpact {
    pub hub_code: Option<String>,
    pub city: Option<String>,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
    /// Told to the recipients and shippers (template variable `reason`).
    pub reason: Option<String>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Notified {
    /// Affected shipments notified: all of them, however many (unlike the listing of
    /// `GET /shipments/impact`, which stops at 10 000). Each raised a `notification.requested`
    /// for its recipient, and one for its shipper customer when it names one.
    pub notified: usize,
}

/// Raises `notification.requested` (template `shipment.disruption`) for every affected
/// shipment (the selection of `GET /shipments/impact`), however many — to its recipient, and
/// to its shipper customer when it names one: a chunk of them per transaction
/// (`[impact] notify_chunk`, 1 000 by default). A request that fails part way leaves the
/// chunks before it notified. Telling customers is a write: it takes the right to create
/// shipments (a token with scopes needs `shipments:create`), a merchant's held to its own.
#[utoipa::path(post, path = "/api/v1/shipments/impact:notify", tag = "shipments",
    request_body = NotifyImpact,
    responses((status = 202, description = "Notifications requested", body = Notified),
        NoValidToken, MayNotNotify, BadImpactQuery))]
pub async fn notify_impact(
    caller: Authorized<caps::ShipmentsCreate>,
    ctx: RequestContext,
    body: Json<NotifyImpact>,
    deps: Deps,
    settings: web::Data<ImpactSettings>,
) -> Result<HttpResponse, ApiError> {
    let b = body.into_inner();
    let reason = b.reason.clone().unwrap_or_default();
    if reason.chars().count() > 500 {
        return Err(ApiError::validation(
            "reason",
            "must be at most 500 characters",
        ));
    }
    let q = ImpactQuery {
        hub_code: b.hub_code,
        city: b.city,
        from: b.from,
        to: b.to,
    };
    let now = deps.clock.now_micros();
    let scope = scope(&caller, &q, now)?;
    let (chunk, mut after, mut notified) = (settings.notify_chunk, None, 0);
    loop {
        let (scope, reason, ctx) = (scope.clone(), reason.clone(), ctx.clone());
        let (n, next) = db::transaction(&deps.pool, move |conn| {
            Ok(notify_chunk(
                conn,
                &scope,
                after,
                chunk,
                &reason,
                (&ctx, now),
            )?)
        })
        .await?;
        notified += n;
        deps.outbox.wake();
        match next {
            Some(next) => after = Some(next),
            None => break,
        }
    }
    Ok(HttpResponse::Accepted().json(Notified { notified }))
}
