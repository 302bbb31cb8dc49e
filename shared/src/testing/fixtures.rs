//! Event payloads tests publish as another service would.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::events::catalogue::CustomerCreatedV1;

/// `customer.created` of a new small prospect `customer`, the account of `merchant` if any.
pub fn customer_created(
    customer: Uuid,
    merchant: Option<Uuid>,
    at: DateTime<Utc>,
) -> CustomerCreatedV1 {
    CustomerCreatedV1 {
        customer_id: customer,
        kind: "business".into(),
        merchant_id: merchant,
        owner_id: None,
        city: None,
        province: None,
        value_tier: "small".into(),
        lifecycle_stage: "prospect".into(),
        created_at: at,
        phone_hashes: vec![],
        contact_channel: None,
    }
}
