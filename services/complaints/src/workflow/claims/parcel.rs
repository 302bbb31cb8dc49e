//! A claim's parcel: what the projection knows of it, the other claims on it and what they
//! hold of its caps (`domain::claims::caps`), read with the parcel locked, and the problems of
//! a claim its caps refuse.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use kuaidi_shared::money::Money;
use kuaidi_shared::ApiError;
use serde_json::json;
use uuid::Uuid;

use crate::db::claims::{self as repo, ClaimRow};
use crate::db::shipments::{self, ShipmentRow};
use crate::domain::claims::caps::{self, Holding, Taken};
use crate::domain::claims::{punctuality, Parcel};
use crate::domain::vocab::ClaimKind;

/// What the projection knows of shipment `s` at `now`: a late claim is judged by its first
/// delivery, if known, else by its promise and `now`; a delivered parcel is not lost.
pub fn parcel_at<'a>(
    conn: &mut PgConnection,
    s: &'a ShipmentRow,
    now: DateTime<Utc>,
) -> QueryResult<Parcel<'a>> {
    let delivery = shipments::delivery(conn, &s.tracking_number)?;
    Ok(Parcel {
        service_level: &s.service_level,
        freight: s.freight_minor,
        declared_value: s.declared_value_minor,
        punctuality: punctuality(s.promised_at, delivery, now),
        delivered: delivery.is_some(),
    })
}

/// A stored claim as its parcel's caps see it.
pub fn holding(r: &ClaimRow) -> Result<Holding, ApiError> {
    let stored = |what: &str, v: &str| anyhow::anyhow!("stored claim {what} {v}");
    Ok(Holding {
        id: r.id,
        kind: r.kind.parse().map_err(|_| stored("kind", &r.kind))?,
        status: r.status.parse().map_err(|_| stored("status", &r.status))?,
        payable: r.amount_payable_minor,
        approved: r.amount_approved_minor,
    })
}

/// The claims on parcel `tn` that hold part of its caps, but `except`.
pub fn holdings(
    conn: &mut PgConnection,
    tn: &str,
    except: Option<Uuid>,
) -> Result<Vec<Holding>, ApiError> {
    repo::on_parcel(conn, tn, except)?
        .iter()
        .map(holding)
        .collect()
}

/// A claim's parcel, locked until the transaction ends, and what the other claims on it take
/// of the cap the claim draws on.
pub struct Standing {
    pub shipment: ShipmentRow,
    pub others: Taken,
}

/// Locks the parcel of claim `row` (of `kind`) and reads what the other claims on it hold.
pub fn standing(
    conn: &mut PgConnection,
    row: &ClaimRow,
    kind: ClaimKind,
) -> Result<Standing, ApiError> {
    let shipment = repo::lock_parcel(conn, &row.tracking_number)?
        .ok_or_else(|| anyhow::anyhow!("claim {} names no projected shipment", row.id))?;
    let others = holdings(conn, &row.tracking_number, Some(row.id))?;
    Ok(Standing {
        shipment,
        others: caps::taken(&others, kind),
    })
}

/// `409 duplicate_claim`: a claim of this kind on the parcel is still open.
pub fn duplicate(open: &Holding) -> ApiError {
    let mut extensions = serde_json::Map::new();
    extensions.insert("claim_id".into(), json!(open.id));
    extensions.insert("current_status".into(), json!(open.status.to_string()));
    ApiError::ConflictWith {
        code: "duplicate_claim",
        detail: format!(
            "a {} claim on this parcel is still open ({}, claim {}): act on it, or file again \
             once it is paid or rejected",
            open.kind, open.status, open.id
        ),
        extensions,
    }
}

/// Why `approved` may not be approved: above the claim's payable amount, or above what the
/// claims approved or paid on the parcel leave of its cap (`room`: less than the payable amount
/// only for claims filed before caps were kept per parcel).
pub fn over_limit(approved: i64, payable: i64, room: i64, currency: &str) -> Option<String> {
    let show = |m: i64| Money::from_minor(m.max(0), currency).amount;
    if approved > payable {
        Some(format!(
            "must not exceed the payable amount {}",
            show(payable)
        ))
    } else if approved > room {
        Some(format!(
            "must not exceed {}, what the claims approved on this parcel leave of its cap",
            show(room)
        ))
    } else {
        None
    }
}

/// `409 over_cap`: paying `amount` would take what the parcel's claims were paid above its cap
/// (only claims approved before caps were kept per parcel can meet it).
pub fn over_cap(paid: i64, amount: i64, cap: i64, currency: &str) -> ApiError {
    let show = |m: i64| Money::from_minor(m, currency).amount;
    ApiError::conflict(
        "over_cap",
        format!(
            "paying {} {currency} would take what this parcel's claims were paid to {}, above \
             its cap {}: the claim cannot be paid",
            show(amount),
            show(paid + amount),
            show(cap)
        ),
    )
}
