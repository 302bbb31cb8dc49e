//! The customer as a caller may see it: a row with its stats, PII masked per role, and for
//! single reads the timeline (interactions, open follow-ups, merges). Every handler that
//! answers a customer builds it here, in the transaction that read or wrote the row.

use chrono::{DateTime, Utc};
use diesel::PgConnection;
use kuaidi_shared::auth::{Principal, Role};
use kuaidi_shared::crypto::{mask_email, mask_phone, PiiCipher};
use kuaidi_shared::money::Money;
use kuaidi_shared::ApiError;
use std::collections::HashMap;
use uuid::Uuid;

use crate::api::customers::{Customer, MergeRecord, Rfm, Stats};
use crate::db::activity::{self, StatsRow};
use crate::db::customers::CustomerRow;
use crate::db::{follow_ups, interactions, merges};
use crate::routes;
use crate::workflow::access::sees_pii;
use crate::workflow::profile::{consents_of, profile_of};

/// Stats of `ids` as of `now`, keyed by customer.
fn stats_of(
    conn: &mut PgConnection,
    ids: &[Uuid],
    now: DateTime<Utc>,
) -> Result<HashMap<Uuid, Stats>, ApiError> {
    Ok(activity::stats_for(conn, ids, now)?
        .into_iter()
        .map(|s| (s.id, stats(s)))
        .collect())
}

/// The stats of a customer with no activity.
fn zero_stats() -> Stats {
    stats(StatsRow::default())
}

fn stats(s: StatsRow) -> Stats {
    Stats {
        shipments_12m: s.shipments_12m,
        spend_12m: Money::from_minor(s.spend_minor, s.currency.as_deref().unwrap_or("CNY")),
        last_shipment_at: s.last_shipment_at,
        complaints_open: s.complaints_open,
        complaints_12m: s.complaints_12m,
        csat_avg: s.csat_avg,
        on_time_rate: s.on_time_rate,
    }
}

/// The API views of `rows` for `caller`, stats as of `now` (no timeline: lists).
pub fn list_views(
    conn: &mut PgConnection,
    rows: Vec<CustomerRow>,
    now: DateTime<Utc>,
    pii: &PiiCipher,
    caller: &Principal,
) -> Result<Vec<Customer>, ApiError> {
    let ids: Vec<Uuid> = rows.iter().map(|r| r.id).collect();
    let stats = stats_of(conn, &ids, now)?;
    rows.iter()
        .map(|r| {
            let s = stats.get(&r.id).cloned().unwrap_or_else(zero_stats);
            view(r, s, pii, sees_pii(caller, r))
        })
        .collect()
}

/// The API view of a row, its PII `unmasked` or masked (no timeline: lists).
fn view(
    row: &CustomerRow,
    stats: Stats,
    pii: &PiiCipher,
    unmasked: bool,
) -> Result<Customer, ApiError> {
    let mut p = profile_of(row, pii)?;
    if !unmasked {
        p.phones = p.phones.iter().map(|v| mask_phone(v)).collect();
        p.emails = p.emails.iter().map(|v| mask_email(v)).collect();
        for a in &mut p.addresses {
            a.address = "***".into();
        }
        p.birthday = p.birthday.map(|_| "****-**-**".into());
        p.family = p.family.map(|_| serde_json::Value::String("***".into()));
    }
    let rfm = match (row.rfm_r, row.rfm_f, row.rfm_m) {
        (Some(r), Some(f), Some(m)) => Some(Rfm {
            r,
            f,
            m,
            score: r + f + m,
        }),
        _ => None,
    };
    Ok(Customer {
        id: row.id,
        kind: p.kind,
        name: p.name,
        phones: p.phones,
        emails: p.emails,
        addresses: p.addresses,
        company: p.company,
        industry: p.industry,
        size: p.size,
        region: p.region,
        lanes: p.lanes,
        preferences: p.preferences.unwrap_or_default(),
        tags: p.tags,
        owner_id: row.owner_id,
        merchant_id: row.merchant_id,
        value_tier: row.value_tier.clone(),
        value_tier_source: if row.value_tier_manual {
            "manual"
        } else {
            "rules"
        }
        .into(),
        lifecycle_stage: row.lifecycle_stage.clone(),
        rfm,
        entitlements: crate::configuration::RULES
            .entitlements
            .get(&row.value_tier)
            .cloned()
            .unwrap_or_default(),
        stats,
        birthday: p.birthday,
        family: p.family,
        consents: consents_of(row),
        merged_into: row.merged_into,
        erased_at: row.erased_at,
        interactions: None,
        follow_ups: None,
        merges: None,
        created_at: row.created_at,
        updated_at: row.updated_at,
        version: row.version,
    })
}

/// The customer 360: profile, stats, tier, stage, RFM, the last 20 interactions, open
/// follow-ups and merge history.
pub fn full_view(
    conn: &mut PgConnection,
    row: &CustomerRow,
    now: DateTime<Utc>,
    pii: &PiiCipher,
    caller: &Principal,
) -> Result<Customer, ApiError> {
    full_view_as(conn, row, row, now, pii, caller)
}

/// The customer 360 of `row` with its PII (and birthday-care tasks) shown as `caller` may see
/// those of `rights`: the file as it stands, for a merged record a dry run answers without
/// writing it (its owner may differ from the file's).
pub fn full_view_as(
    conn: &mut PgConnection,
    row: &CustomerRow,
    rights: &CustomerRow,
    now: DateTime<Utc>,
    pii: &PiiCipher,
    caller: &Principal,
) -> Result<Customer, ApiError> {
    let stats = stats_of(conn, &[row.id], now)?
        .remove(&row.id)
        .unwrap_or_else(zero_stats);
    let mut c = view(row, stats, pii, sees_pii(caller, rights))?;
    let recent = interactions::page(conn, row.id, None, 19)?;
    c.interactions = Some(recent.into_iter().map(routes::interactions::view).collect());
    if caller.role == Role::Customer {
        // Staff tasks and merge history are internal to the company.
        return Ok(c);
    }
    let open = follow_ups::page(
        conn,
        &follow_ups::Filter {
            customer_id: Some(row.id),
            status: Some("open".into()),
            birthday_care: crate::workflow::access::birthday_care_of(caller, rights),
            ..Default::default()
        },
        None,
        199,
    )?;
    c.follow_ups = Some(open.into_iter().map(routes::follow_ups::view).collect());
    c.merges = Some(
        merges::involving(conn, row.id)?
            .into_iter()
            .map(|m| MergeRecord {
                merge_id: m.id,
                survivor_id: m.survivor_id,
                duplicate_id: m.duplicate_id,
                merged_at: m.merged_at,
                undone_at: m.undone_at,
            })
            .collect(),
    );
    Ok(c)
}
