//! `/api/v1/customers` handlers and the view of a customer.

pub mod create;
pub mod get;

use chrono::{DateTime, Utc};
use diesel::PgConnection;
use kuaidi_shared::auth::{Principal, Role};
use kuaidi_shared::crypto::{mask_email, mask_phone, PiiCipher};
use kuaidi_shared::money::Money;
use kuaidi_shared::ApiError;

use crate::api::customers::{Customer, Region, Stats};
use crate::db::activity;
use crate::db::customers::CustomerRow;
use crate::domain::new_customer::Contacts;

/// Whether `caller` (already holding `CustomersRead`) may see this customer: merchants only
/// their own account; end customers are matched against their phone by the handler.
pub fn visible_to(caller: &Principal, row: &CustomerRow) -> bool {
    match caller.role {
        Role::Merchant => caller.merchant_id.is_some() && caller.merchant_id == row.merchant_id,
        _ => true,
    }
}

/// Whether `caller` sees PII unmasked (SPEC §3 "customer PII unmasked").
pub fn sees_pii(caller: &Principal, row: &CustomerRow) -> bool {
    match caller.role {
        Role::Admin | Role::Manager | Role::Supervisor => true,
        Role::Agent => caller.user_id().is_some() && caller.user_id() == row.owner_id,
        Role::Merchant => visible_to(caller, row),
        // Reached only after the handler matched the customer's own phone.
        Role::Customer => true,
        _ => false,
    }
}

/// Loads the stats of `row` as of `now`.
pub fn stats(
    conn: &mut PgConnection,
    row: &CustomerRow,
    now: DateTime<Utc>,
) -> Result<Stats, ApiError> {
    let w = activity::shipping_window(conn, row.id, now.date_naive())?;
    let c = activity::complaint_counts(conn, row.id, now)?;
    Ok(Stats {
        shipments_12m: w.shipments,
        spend_12m: Money::from_minor(w.spend_minor, w.currency.as_deref().unwrap_or("CNY")),
        last_shipment_at: w.last_shipment_at,
        complaints_open: c.open,
        complaints_12m: c.last_12m,
        csat_avg: None,
        on_time_rate: None,
    })
}

/// The API view of a row for `caller`.
pub fn view(
    row: CustomerRow,
    stats: Stats,
    pii: &PiiCipher,
    caller: &Principal,
) -> Result<Customer, ApiError> {
    let mut contacts: Contacts = pii.open_json(&row.contacts_sealed)?;
    if !sees_pii(caller, &row) {
        contacts.phones = contacts.phones.iter().map(|p| mask_phone(p)).collect();
        contacts.emails = contacts.emails.iter().map(|e| mask_email(e)).collect();
        for a in &mut contacts.addresses {
            a.address = "***".into();
        }
    }
    let region =
        (row.region_city.is_some() || row.region_province.is_some() || row.city_tier.is_some())
            .then(|| Region {
                city: row.region_city.clone(),
                province: row.region_province.clone(),
                city_tier: row.city_tier.clone(),
            });
    Ok(Customer {
        id: row.id,
        kind: row.kind,
        name: row.name,
        phones: contacts.phones,
        emails: contacts.emails,
        addresses: contacts.addresses,
        company: row
            .company
            .map(serde_json::from_value)
            .transpose()
            .map_err(anyhow::Error::from)?,
        industry: row.industry,
        size: row.size,
        region,
        lanes: row.lanes,
        preferences: serde_json::from_value(row.preferences).map_err(anyhow::Error::from)?,
        tags: row.tags,
        owner_id: row.owner_id,
        merchant_id: row.merchant_id,
        value_tier: row.value_tier,
        lifecycle_stage: row.lifecycle_stage,
        stats,
        created_at: row.created_at,
        updated_at: row.updated_at,
        version: row.version,
    })
}
