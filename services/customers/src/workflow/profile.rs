//! Between rows and the API: a stored profile as an editable request, a validated profile
//! written back to a row, and the customer as a caller may see it (PII masked per role).

use chrono::{DateTime, Utc};
use diesel::PgConnection;
use kuaidi_shared::auth::{Principal, Role};
use kuaidi_shared::crypto::{mask_email, mask_phone, PiiCipher};
use kuaidi_shared::money::Money;
use kuaidi_shared::ApiError;
use std::collections::{BTreeMap, HashMap};
use uuid::Uuid;

use super::access::sees_pii;
use crate::api::customers::{
    ConsentState, CreateCustomer, Customer, MergeRecord, Region, Rfm, Stats,
};
use crate::db::activity::{self, StatsRow};
use crate::db::customers::{CustomerRow, Digest};
use crate::db::{follow_ups, interactions, merges};
use crate::domain::new_customer::{Contacts, Extras, NewCustomer};

fn internal(e: impl Into<anyhow::Error>) -> ApiError {
    ApiError::Internal(e.into())
}

/// The stored profile of `row` as an editable request (PII opened).
pub fn profile_of(row: &CustomerRow, pii: &PiiCipher) -> Result<CreateCustomer, ApiError> {
    let contacts: Contacts = pii.open_json(&row.contacts_sealed)?;
    let extras: Extras = match &row.extras_sealed {
        Some(sealed) => pii.open_json(sealed)?,
        None => Extras::default(),
    };
    Ok(CreateCustomer {
        kind: row.kind.clone(),
        name: row.name.clone(),
        phones: contacts.phones,
        emails: contacts.emails,
        addresses: contacts.addresses,
        company: row
            .company
            .clone()
            .map(serde_json::from_value)
            .transpose()
            .map_err(internal)?,
        industry: row.industry.clone(),
        size: row.size.clone(),
        region: region_of(row),
        lanes: row.lanes.clone(),
        preferences: Some(serde_json::from_value(row.preferences.clone()).map_err(internal)?),
        tags: row.tags.clone(),
        owner_id: row.owner_id,
        merchant_id: row.merchant_id,
        birthday: extras.birthday.map(|d| d.to_string()),
        family: extras.family,
    })
}

fn region_of(row: &CustomerRow) -> Option<Region> {
    (row.region_city.is_some() || row.region_province.is_some() || row.city_tier.is_some()).then(
        || Region {
            city: row.region_city.clone(),
            province: row.region_province.clone(),
            city_tier: row.city_tier.clone(),
        },
    )
}

/// The blind indexes of a validated profile's identities.
pub fn digests(new: &NewCustomer, pii: &PiiCipher) -> Vec<Digest> {
    new.identities
        .iter()
        .map(|(kind, value)| (*kind, pii.blind_index(value)))
        .collect()
}

/// Writes a validated profile into `row` (PII sealed).
pub fn apply(row: &mut CustomerRow, new: &NewCustomer, pii: &PiiCipher) -> Result<(), ApiError> {
    row.kind = new.kind.clone();
    row.name = new.name.clone();
    row.contacts_sealed = pii.seal_json(&new.contacts);
    row.extras_sealed = new.extras.as_ref().map(|e| pii.seal_json(e));
    row.birthday_index = new
        .extras
        .as_ref()
        .and_then(Extras::birthday_key)
        .map(|k| pii.blind_index(&k));
    row.company = new
        .company
        .as_ref()
        .map(serde_json::to_value)
        .transpose()
        .map_err(internal)?;
    row.industry = new.industry.clone();
    row.size = new.size.clone();
    row.region_city = new.region.as_ref().and_then(|r| r.city.clone());
    row.region_province = new.region.as_ref().and_then(|r| r.province.clone());
    row.city_tier = new.region.as_ref().and_then(|r| r.city_tier.clone());
    row.lanes = new.lanes.clone();
    row.preferences = serde_json::to_value(&new.preferences).map_err(internal)?;
    row.tags = new.tags.clone();
    row.owner_id = new.owner_id;
    row.merchant_id = new.merchant_id;
    Ok(())
}

/// The current consents stored on `row`.
pub fn consents_of(row: &CustomerRow) -> BTreeMap<String, ConsentState> {
    serde_json::from_value(row.consents.clone()).unwrap_or_default()
}

/// Whether `row` holds a granted consent for `purpose`.
pub fn consented(row: &CustomerRow, purpose: &str) -> bool {
    consents_of(row).get(purpose).is_some_and(|c| c.granted)
}

/// Stats of `ids` as of `now`, keyed by customer.
pub fn stats_of(
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
pub fn zero_stats() -> Stats {
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

/// The API view of a row for `caller` (no timeline: lists).
pub fn view(
    row: &CustomerRow,
    stats: Stats,
    pii: &PiiCipher,
    caller: &Principal,
) -> Result<Customer, ApiError> {
    let mut p = profile_of(row, pii)?;
    if !sees_pii(caller, row) {
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
    let stats = stats_of(conn, &[row.id], now)?
        .remove(&row.id)
        .unwrap_or_else(zero_stats);
    let mut c = view(row, stats, pii, caller)?;
    let recent = interactions::page(conn, row.id, None, 19)?;
    c.interactions = Some(recent.into_iter().map(Into::into).collect());
    if caller.role == Role::Customer {
        // Staff tasks and merge history are internal to the company.
        return Ok(c);
    }
    let open = follow_ups::page(
        conn,
        &follow_ups::Filter {
            customer_id: Some(row.id),
            status: Some("open".into()),
            ..Default::default()
        },
        None,
        199,
    )?;
    c.follow_ups = Some(open.into_iter().map(Into::into).collect());
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
