//! `customers`, `customer_activity` and `customer_days`: the customer projection the segments,
//! churn risk and customer KPIs read. Later changes win over earlier ones by their own time, so
//! reordered events leave the latest state.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Date, Double, Nullable, Text, Timestamptz, Uuid as SqlUuid};
use kuaidi_shared::db::statement;
use std::collections::HashMap;
use uuid::Uuid;

use super::schema::customers as cu;
use crate::domain::facts::{bucket_of, Dims};

/// A customer's value tier, when known.
pub fn tier(conn: &mut PgConnection, customer_id: Uuid) -> QueryResult<Option<String>> {
    Ok(tiers(conn, &[customer_id])?.remove(&customer_id))
}

/// The value tiers of those of `customer_ids` that have one, in one query.
pub fn tiers(conn: &mut PgConnection, customer_ids: &[Uuid]) -> QueryResult<HashMap<Uuid, String>> {
    if customer_ids.is_empty() {
        return Ok(HashMap::new());
    }
    Ok(cu::table
        .filter(cu::customer_id.eq_any(customer_ids))
        .select((cu::customer_id, cu::value_tier))
        .load::<(Uuid, String)>(conn)?
        .into_iter()
        .filter(|(_, tier)| !tier.is_empty())
        .collect())
}

/// What `customer.created` tells.
pub struct Created<'a> {
    pub customer_id: Uuid,
    pub merchant_id: Uuid,
    pub city: &'a str,
    pub province: &'a str,
    pub value_tier: &'a str,
    pub lifecycle_stage: &'a str,
    pub created_at: DateTime<Utc>,
}

/// Opens (or completes) a customer's row.
pub fn create(conn: &mut PgConnection, c: &Created) -> QueryResult<()> {
    statement(
        "INSERT INTO customers (customer_id, merchant_id, city, province, value_tier, lifecycle_stage, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) \
         ON CONFLICT (customer_id) DO UPDATE SET merchant_id = EXCLUDED.merchant_id, \
           city = EXCLUDED.city, province = EXCLUDED.province, created_at = EXCLUDED.created_at, \
           value_tier = CASE WHEN customers.tier_changed_at IS NULL THEN EXCLUDED.value_tier ELSE customers.value_tier END, \
           lifecycle_stage = CASE WHEN customers.stage_changed_at IS NULL THEN EXCLUDED.lifecycle_stage ELSE customers.lifecycle_stage END",
    )
    .bind::<SqlUuid, _>(c.customer_id)
    .bind::<SqlUuid, _>(c.merchant_id)
    .bind::<Text, _>(c.city)
    .bind::<Text, _>(c.province)
    .bind::<Text, _>(c.value_tier)
    .bind::<Text, _>(c.lifecycle_stage)
    .bind::<Timestamptz, _>(c.created_at)
    .execute(conn)
    .map(drop)
}

/// What a change event sets of a customer, each with the time of its latest change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Attribute {
    /// `value_tier` (the spend the segments weigh comes from the shipments themselves:
    /// [`shipped`]).
    Tier,
    /// `lifecycle_stage`.
    Stage,
}

/// A change of `attribute` to `value` at `at`, unless a later one is already recorded.
pub fn change(
    conn: &mut PgConnection,
    customer_id: Uuid,
    attribute: Attribute,
    value: &str,
    at: DateTime<Utc>,
) -> QueryResult<()> {
    let sql = match attribute {
        Attribute::Tier => {
            "INSERT INTO customers (customer_id, value_tier, tier_changed_at) VALUES ($1, $2, $3) \
             ON CONFLICT (customer_id) DO UPDATE SET value_tier = EXCLUDED.value_tier, \
               tier_changed_at = EXCLUDED.tier_changed_at \
             WHERE customers.tier_changed_at IS NULL OR customers.tier_changed_at <= EXCLUDED.tier_changed_at"
        }
        Attribute::Stage => {
            "INSERT INTO customers (customer_id, lifecycle_stage, stage_changed_at) VALUES ($1, $2, $3) \
             ON CONFLICT (customer_id) DO UPDATE SET lifecycle_stage = EXCLUDED.lifecycle_stage, \
               stage_changed_at = EXCLUDED.stage_changed_at \
             WHERE customers.stage_changed_at IS NULL OR customers.stage_changed_at <= EXCLUDED.stage_changed_at"
        }
    };
    statement(sql)
        .bind::<SqlUuid, _>(customer_id)
        .bind::<Text, _>(value)
        .bind::<Timestamptz, _>(at)
        .execute(conn)
        .map(drop)
}

/// The measured drop of a churn-risk detection, unless a later one is recorded.
pub struct ChurnRisk {
    pub customer_id: Uuid,
    pub merchant_id: Option<Uuid>,
    pub baseline_monthly: f64,
    pub last_30d: i64,
    pub drop_ratio: f64,
    pub detected_at: DateTime<Utc>,
}

pub fn churn_risk(conn: &mut PgConnection, r: &ChurnRisk) -> QueryResult<()> {
    statement(
        "INSERT INTO customers (customer_id, merchant_id, churn_baseline_monthly, churn_last_30d, churn_drop_ratio, churn_detected_at) \
         VALUES ($1, COALESCE($2, '00000000-0000-0000-0000-000000000000'::uuid), $3, $4, $5, $6) \
         ON CONFLICT (customer_id) DO UPDATE SET churn_baseline_monthly = EXCLUDED.churn_baseline_monthly, \
           churn_last_30d = EXCLUDED.churn_last_30d, churn_drop_ratio = EXCLUDED.churn_drop_ratio, \
           churn_detected_at = EXCLUDED.churn_detected_at \
         WHERE customers.churn_detected_at IS NULL OR customers.churn_detected_at <= EXCLUDED.churn_detected_at",
    )
    .bind::<SqlUuid, _>(r.customer_id)
    .bind::<Nullable<SqlUuid>, _>(r.merchant_id)
    .bind::<Double, _>(r.baseline_monthly)
    .bind::<BigInt, _>(r.last_30d)
    .bind::<Double, _>(r.drop_ratio)
    .bind::<Timestamptz, _>(r.detected_at)
    .execute(conn)
    .map(drop)
}

/// A merged duplicate: its activity and its days move to the survivor, its row goes.
pub fn merge(conn: &mut PgConnection, survivor: Uuid, duplicate: Uuid) -> QueryResult<()> {
    statement(
        "INSERT INTO customer_days (customer_id, day, shipments, spend_minor) \
         SELECT $1, day, shipments, spend_minor FROM customer_days WHERE customer_id = $2 \
         ON CONFLICT (customer_id, day) DO UPDATE SET \
           shipments = customer_days.shipments + EXCLUDED.shipments, \
           spend_minor = customer_days.spend_minor + EXCLUDED.spend_minor",
    )
    .bind::<SqlUuid, _>(survivor)
    .bind::<SqlUuid, _>(duplicate)
    .execute(conn)?;
    statement("DELETE FROM customer_days WHERE customer_id = $1")
        .bind::<SqlUuid, _>(duplicate)
        .execute(conn)?;
    statement(
        "INSERT INTO customer_activity (bucket, customer_id, city, province, service_level, value_tier, merchant_id, shipments) \
         SELECT bucket, $1, city, province, service_level, value_tier, merchant_id, shipments \
         FROM customer_activity WHERE customer_id = $2 \
         ON CONFLICT (bucket, customer_id, city, province, service_level, value_tier, merchant_id) \
         DO UPDATE SET shipments = customer_activity.shipments + EXCLUDED.shipments",
    )
    .bind::<SqlUuid, _>(survivor)
    .bind::<SqlUuid, _>(duplicate)
    .execute(conn)?;
    // The survivor's distinct counts change wherever the duplicate was active.
    statement(
        "INSERT INTO activity_versions (day, version) \
         SELECT DISTINCT (bucket AT TIME ZONE 'UTC')::date, 1 FROM customer_activity \
         WHERE customer_id = $1 \
         ON CONFLICT (day) DO UPDATE SET version = activity_versions.version + 1",
    )
    .bind::<SqlUuid, _>(duplicate)
    .execute(conn)?;
    statement("DELETE FROM customer_activity WHERE customer_id = $1")
        .bind::<SqlUuid, _>(duplicate)
        .execute(conn)?;
    diesel::delete(cu::table.find(duplicate)).execute(conn)?;
    Ok(())
}

/// A shipment by a customer: one more shipment in its bucket's activity and on its file, and
/// its freight in the customer's day (`spend_minor`, minor units), which the segments' trailing
/// 12 months sum.
pub fn shipped(
    conn: &mut PgConnection,
    customer_id: Uuid,
    dims: &Dims,
    at: DateTime<Utc>,
    spend_minor: i64,
) -> QueryResult<()> {
    statement(
        "INSERT INTO customer_activity (bucket, customer_id, city, province, service_level, value_tier, merchant_id, shipments) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, 1) \
         ON CONFLICT (bucket, customer_id, city, province, service_level, value_tier, merchant_id) \
         DO UPDATE SET shipments = customer_activity.shipments + 1",
    )
    .bind::<Timestamptz, _>(bucket_of(at))
    .bind::<SqlUuid, _>(customer_id)
    .bind::<Text, _>(&dims.city)
    .bind::<Text, _>(&dims.province)
    .bind::<Text, _>(&dims.service_level)
    .bind::<Text, _>(&dims.value_tier)
    .bind::<SqlUuid, _>(dims.merchant_id)
    .execute(conn)?;
    super::customer_figures::changed(conn, bucket_of(at).date_naive())?;
    statement(
        "INSERT INTO customer_days (customer_id, day, shipments, spend_minor) VALUES ($1, $2, 1, $3) \
         ON CONFLICT (customer_id, day) DO UPDATE SET shipments = customer_days.shipments + 1, \
           spend_minor = customer_days.spend_minor + EXCLUDED.spend_minor",
    )
    .bind::<SqlUuid, _>(customer_id)
    .bind::<Date, _>(at.date_naive())
    .bind::<BigInt, _>(spend_minor)
    .execute(conn)?;
    statement(
        "INSERT INTO customers (customer_id, merchant_id, last_shipment_at, shipments) VALUES ($1, $2, $3, 1) \
         ON CONFLICT (customer_id) DO UPDATE SET shipments = customers.shipments + 1, \
           last_shipment_at = GREATEST(customers.last_shipment_at, EXCLUDED.last_shipment_at)",
    )
    .bind::<SqlUuid, _>(customer_id)
    .bind::<SqlUuid, _>(dims.merchant_id)
    .bind::<Timestamptz, _>(at)
    .execute(conn)
    .map(drop)
}
